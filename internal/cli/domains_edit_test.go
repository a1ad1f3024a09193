package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// domainsSetup writes a config whose domain list is routes/domains.txt.
func domainsSetup(t *testing.T) (dir, conf string) {
	t.Helper()
	dir = t.TempDir()
	conf = filepath.Join(dir, "config.env")
	if err := os.WriteFile(conf, []byte("PREFIX=abcdefghijklmnopqrstuvwxyz012345\nDOMAINS_FILE=routes/domains.txt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, conf
}

func runDomains(conf, stdin string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(context.Background(), append([]string{"--config", conf, "domains"}, args...), strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

// TestDomainsAddParallel runs 30 adds at once: each must land.
func TestDomainsAddParallel(t *testing.T) {
	dir, conf := domainsSetup(t)
	if code, _, e := runDomains(conf, "", "add", "first.example.com"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if code, _, e := runDomains(conf, "", "add", fmt.Sprintf("d%d.example.com", i)); code != 0 {
				t.Errorf("add d%d: exit %d: %s", i, code, e)
			}
		})
	}
	wg.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "routes", "domains.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if !strings.Contains(string(b), fmt.Sprintf("d%d.example.com\n", i)) {
			t.Errorf("d%d.example.com lost", i)
		}
	}
	if !strings.Contains(string(b), "first.example.com\n") {
		t.Error("first.example.com lost")
	}
	des, _ := os.ReadDir(filepath.Join(dir, "routes"))
	for _, de := range des {
		if n := de.Name(); n != "domains.txt" && n != "domains.txt.bak" {
			t.Errorf("file left behind: %s", n)
		}
	}
}

func TestDomainsAddStdinTabComment(t *testing.T) {
	dir, conf := domainsSetup(t)
	code, _, e := runDomains(conf, "x.example.com\t# note\n#whole line\ny.example.com # other\nhttps://z.example.com/#frag\n", "add", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "routes", "domains.txt"))
	if string(b) != "x.example.com\ny.example.com\nz.example.com\n" {
		t.Errorf("list = %q", b)
	}
}

// TestDomainsSymlinkedList edits the file a linked list leads to.
func TestDomainsSymlinkedList(t *testing.T) {
	dir, conf := domainsSetup(t)
	realDir := filepath.Join(dir, "real")
	os.MkdirAll(realDir, 0o755)
	os.MkdirAll(filepath.Join(dir, "routes"), 0o755)
	realFile := filepath.Join(realDir, "domains.txt")
	os.WriteFile(realFile, []byte("# mine\na.example.com\n"), 0o640)
	link := filepath.Join(dir, "routes", "domains.txt")
	if err := os.Symlink(realFile, link); err != nil {
		t.Skip("symlink:", err)
	}
	if code, _, e := runDomains(conf, "", "add", "b.example.com"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(realFile)
	if string(b) != "# mine\n\na.example.com\nb.example.com\n" {
		t.Errorf("real file = %q", b)
	}
	if fi, _ := os.Stat(realFile); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
	if code, _, e := runDomains(conf, "", "remove", "a.example.com"); code != 0 {
		t.Fatalf("remove: exit %d: %s", code, e)
	}
	if b, _ := os.ReadFile(realFile); string(b) != "# mine\n\nb.example.com\n" {
		t.Errorf("after remove = %q", b)
	}
}

// An invalid line still stops an edit with exit 2 and nothing written.
func TestDomainsAddInvalidListUntouched(t *testing.T) {
	dir, conf := domainsSetup(t)
	list := filepath.Join(dir, "routes", "domains.txt")
	os.MkdirAll(filepath.Dir(list), 0o755)
	os.WriteFile(list, []byte("ok.com\nbad entry!\n"), 0o644)
	code, _, e := runDomains(conf, "", "add", "new.com")
	if code != ExitUsage || !strings.Contains(e, list+":2:") || !strings.Contains(e, "fix or delete these lines") {
		t.Fatalf("exit %d: %s", code, e)
	}
	if b, _ := os.ReadFile(list); string(b) != "ok.com\nbad entry!\n" {
		t.Errorf("list = %q", b)
	}
}

// TestImportParallelIPs runs 20 imports of IP lists at once: every address
// must land in IP_LIST_FILE (the merge reads and writes under the lock).
func TestImportParallelIPs(t *testing.T) {
	dir, conf := domainsSetup(t)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		src := filepath.Join(dir, fmt.Sprintf("ips%d.txt", i))
		if err := os.WriteFile(src, fmt.Appendf(nil, "198.51.100.%d\thost%d.example.com\n", i+1, i), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if code, _, e := runDomains(conf, "", "import", src); code != 0 {
				t.Errorf("import %s: exit %d: %s", src, code, e)
			}
		})
	}
	wg.Wait()
	list, err := os.ReadFile(filepath.Join(dir, "routes", "ips.txt")) // IP_LIST_FILE's default
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if !strings.Contains(string(list), fmt.Sprintf("198.51.100.%d\thost%d.example.com\n", i+1, i)) {
			t.Errorf("198.51.100.%d lost:\n%s", i+1, list)
		}
	}
}
