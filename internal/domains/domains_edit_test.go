package domains

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/autovpn/autovpn/internal/sysedit"
)

func TestWriteFileAtomicKeepsSymlink(t *testing.T) {
	dir := t.TempDir()
	realFile := filepath.Join(dir, "real", "ips.txt")
	os.MkdirAll(filepath.Dir(realFile), 0o755)
	os.WriteFile(realFile, []byte("old\n"), 0o640)
	link := filepath.Join(dir, "ips.txt")
	if err := os.Symlink(filepath.Join("real", "ips.txt"), link); err != nil {
		t.Skip("symlink:", err)
	}
	if err := WriteFileAtomic(link, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(realFile)
	bak, _ := os.ReadFile(realFile + ".bak")
	if string(b) != "new\n" || string(bak) != "old\n" {
		t.Errorf("real file %q, backup %q", b, bak)
	}
	if fi, _ := os.Stat(realFile); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
}

// TestEditFileParallel appends from many goroutines (each lock is its own
// open file, as in separate processes): every line must land.
func TestEditFileParallel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes", "domains.txt")
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := EditFile(path, func(old []byte) ([]byte, error) {
				return fmt.Appendf(old, "d%d.example.com\n", i), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, _ := os.ReadFile(path)
	if got := strings.Count(string(b), "\n"); got != n {
		t.Errorf("%d of %d lines landed:\n%s", got, n, b)
	}
	des, _ := os.ReadDir(filepath.Dir(path))
	if len(des) != 2 {
		t.Errorf("files left behind: %v", des)
	}
}

// TestEditFileRefusesChangeUnderUs: another program writes the file while
// the edit runs; its line must survive.
func TestEditFileRefusesChangeUnderUs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "domains.txt")
	os.WriteFile(path, []byte("a.com\n"), 0o644)
	err := EditFile(path, func(old []byte) ([]byte, error) {
		os.WriteFile(path, []byte("a.com\nusers.com\n"), 0o644)
		return append(old, "ours.com\n"...), nil
	})
	if !errors.Is(err, sysedit.ErrChanged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want ErrChanged naming the file", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a.com\nusers.com\n" {
		t.Errorf("file = %q", b)
	}
	des, _ := os.ReadDir(filepath.Dir(path))
	for _, de := range des {
		if n := de.Name(); n != "domains.txt" && n != "domains.txt.bak" {
			t.Errorf("file left behind: %s", n)
		}
	}
}

func TestEditFileNoChangeWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "domains.txt")
	same := func(old []byte) ([]byte, error) { return old, nil }
	if err := EditFile(path, same); err != nil {
		t.Fatal(err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("a missing file left alone created %v", des)
	}
	os.WriteFile(path, []byte("a.com\n"), 0o644)
	if err := EditFile(path, same); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
		t.Errorf("an unchanged file was backed up: %v", err)
	}
	boom := errors.New("boom")
	if err := EditFile(path, func([]byte) ([]byte, error) { return nil, boom }); err != boom {
		t.Errorf("edit's error = %v, want it as it is", err)
	}
}

func TestCutCommentTab(t *testing.T) {
	for in, want := range map[string]string{
		"x.example.com\t# note": "x.example.com",
		"x.example.com # note":  "x.example.com",
		"#all":                  "",
		"https://x.com/#top":    "https://x.com/#top",
	} {
		if got, _ := CutComment(in); got != want {
			t.Errorf("CutComment(%q) = %q, want %q", in, got, want)
		}
	}
}
