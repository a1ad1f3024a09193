package domains

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

const messyList = "# autovpn domain list\r\n# one a line\r\n\r\n" +
	"zeta.com\r\n" +
	"# search\r\n" +
	"https://WWW.Google.com/search?q=x  # the big one\r\n" +
	"a.com, b.com; c.com\r\n" +
	"\r\n" +
	"not a domain!\r\n" +
	"*.Example.org.\r\n" +
	"example.org\r\n" +
	"zeta.com\r\n" +
	"localhost\r\n" +
	"# trailing note\r\n"

func TestParseAndRenderList(t *testing.T) {
	l, errs := ParseList(strings.NewReader(messyList))
	var lines []int
	for _, err := range errs {
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
		lines = append(lines, le.Line)
	}
	// "not a domain!" is line 9 (three entries), "localhost" line 13.
	if !slices.Equal(lines, []int{9, 9, 9, 13}) {
		t.Fatalf("error lines = %v (%v), want [9 9 9 13]", lines, errs)
	}
	want := []string{"a.com", "b.com", "c.com", "example.org", "*.example.org", "www.google.com", "zeta.com"}
	if got := l.Domains(); !slices.Equal(got, want) {
		t.Fatalf("Domains() = %q, want %q", got, want)
	}
	golden(t, "list", l.Render())
	again, errs := ParseList(bytes.NewReader(l.Render()))
	if len(errs) > 0 || !bytes.Equal(again.Render(), l.Render()) {
		t.Fatalf("render is not stable: %v\n%s", errs, again.Render())
	}
}

func TestAddRemoveKeepComments(t *testing.T) {
	l, _ := ParseList(strings.NewReader("# header\n\n# about b\nb.com # inline\n"))
	added, errs := l.Add("A.com", "b.com", "bad_entry!")
	if !slices.Equal(added, []string{"a.com"}) || len(errs) != 1 {
		t.Fatalf("Add = %v, %v", added, errs)
	}
	if got, want := string(l.Render()), "# header\n\na.com\n# about b\nb.com # inline\n"; got != want {
		t.Fatalf("after add:\n%s\nwant:\n%s", got, want)
	}
	removed, errs := l.Remove("https://b.com/", "nothere.com")
	if !slices.Equal(removed, []string{"b.com"}) || len(errs) != 1 || !strings.Contains(errs[0].Error(), "not in the list") {
		t.Fatalf("Remove = %v, %v", removed, errs)
	}
	if got, want := string(l.Render()), "# header\n\na.com\n"; got != want {
		t.Fatalf("after remove:\n%q\nwant:\n%q", got, want)
	}
}

func TestReadListMissingIsEmpty(t *testing.T) {
	l, err := ReadList(filepath.Join(t.TempDir(), "nope.txt"))
	if err != nil || l.Len() != 0 {
		t.Fatalf("ReadList(missing) = %v, %v", l, err)
	}
}

func TestReadListErrorsNameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "domains.txt")
	os.WriteFile(path, []byte("ok.com\nbad entry!\n"), 0o644)
	l, err := ReadList(path)
	if err == nil || !strings.Contains(err.Error(), path+":2:") || l.Len() != 1 {
		t.Fatalf("ReadList = %v entries, %v; want errors naming %s:2", l.Len(), err, path)
	}
}

func TestWriteFileAtomicKeepsBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes", "domains.txt")
	if err := WriteFileAtomic(path, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
		t.Fatalf("a first write must not leave a backup: %v", err)
	}
	os.Chmod(path, 0o600)
	if err := WriteFileAtomic(path, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	cur, _ := os.ReadFile(path)
	bak, _ := os.ReadFile(path + ".bak")
	st, _ := os.Stat(path)
	if string(cur) != "two\n" || string(bak) != "one\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("file %q backup %q mode %v", cur, bak, st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}
