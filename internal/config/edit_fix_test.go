package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const fixPrefix = "PREFIX=abcdefghijklmnopqrstuvwxyz012345\n"

// TestSetKeySymlinkFix: setting a key through a symbolic link edits the file
// it names and keeps the link.
func TestSetKeySymlinkFix(t *testing.T) {
	dir := t.TempDir()
	realDir := filepath.Join(dir, "dot")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(realDir, "config.env")
	if err := os.WriteFile(real, []byte("# mine\n"+fixPrefix+"SOCKS5_PORT=1 # socks\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.env")
	if err := os.Symlink(filepath.Join("dot", "config.env"), link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := SetKey(link, "SOCKS5_PORT", "2000"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(link)
	if err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", st.Mode(), err)
	}
	got, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# mine\n" + fixPrefix + "SOCKS5_PORT=2000 # socks\n"; string(got) != want {
		t.Errorf("real file:\n got %q\nwant %q", got, want)
	}
	if st, err := os.Stat(real); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode of the real file: %v, %v; want 0640", st.Mode().Perm(), err)
	}
	for _, d := range []string{dir, realDir} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// TestSetKeyParallelFix: parallel sets of different keys all land.
func TestSetKeyParallelFix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.env")
	sets := [][2]string{{"SOCKS5_PORT", "2001"}, {"HTTP_PORT", "2002"}, {"USER", "bob"}, {"PASS", "pw"}, {"WSTUNNEL_PORT", "2003"}, {"MTU_SIZE", "1400"}}
	for run := range 20 {
		if err := os.WriteFile(path, []byte(fixPrefix), 0o600); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(sets))
		for i, kv := range sets {
			wg.Go(func() { errs[i] = SetKey(path, kv[0], kv[1]) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range sets {
			if line := kv[0] + "=" + kv[1] + "\n"; !strings.Contains(string(data), line) {
				t.Fatalf("run %d: lost %q:\n%s", run, line, data)
			}
		}
	}
}

// TestWriteAtomicChangedFix: a file changed after it was read is not
// overwritten.
func TestWriteAtomicChangedFix(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.env")
	if err := os.WriteFile(path, []byte("A=other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := writeAtomic(path, path, []byte("A=read\n"), []byte("A=new\n"))
	if err == nil || !strings.Contains(err.Error(), "changed while being edited; run again") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want the file named and changed while being edited", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "A=other\n" {
		t.Errorf("file overwritten: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary file left behind: %v", ents)
	}
}

// TestSetKeyEmptyFix: an empty value is checked as the key's default, so a
// required key without one (PREFIX) is refused and others may be emptied.
func TestSetKeyEmptyFix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.env")
	body := fixPrefix + "SOCKS5_PORT=1090\nADMIN_ADDR=127.0.0.1:9\nSERVER_IP=1.2.3.4\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	err := SetKey(path, "PREFIX", "")
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "PREFIX" || !strings.Contains(err.Error(), "PREFIX") {
		t.Fatalf("SetKey(PREFIX, \"\") = %v, want an error naming PREFIX", err)
	}
	if got, _ := os.ReadFile(path); string(got) != body {
		t.Errorf("file changed: %q", got)
	}
	for _, k := range []string{"SOCKS5_PORT", "ADMIN_ADDR", "SERVER_IP"} {
		if err := SetKey(path, k, ""); err != nil {
			t.Errorf("SetKey(%s, \"\"): %v", k, err)
		}
	}
	if _, err := Load(path, RoleAny); err != nil {
		t.Errorf("config no longer loads: %v", err)
	}
	// Every key but PREFIX has a valid default.
	for _, k := range keys {
		err := checkValue(k, "")
		if (err != nil) != (k.Name == "PREFIX") {
			t.Errorf("checkValue(%s, \"\") = %v", k.Name, err)
		}
	}
}
