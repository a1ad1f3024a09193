package hostsfile

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot:\n%q\nwant:\n%q", name, got, want)
	}
}

func mustParse(t *testing.T, data []byte) *File {
	t.Helper()
	f, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func pairs() []Entry {
	a := netip.MustParseAddr
	return []Entry{
		{a("2606:4700::6810:84e5"), "example.com"},
		{a("104.16.132.229"), "example.com"},
		{a("140.82.112.3"), "www.github.com"},
		{a("140.82.112.3"), "GitHub.com."},
		{a("2001:db8::1"), "*.wild.test"},
	}
}

func TestTwins(t *testing.T) {
	var got []string
	for _, e := range Twins(pairs()) {
		got = append(got, e.IP.String()+" "+e.Name)
	}
	want := []string{
		"104.16.132.229 example.com", "104.16.132.229 www.example.com",
		"2606:4700::6810:84e5 example.com", "2606:4700::6810:84e5 www.example.com",
		"140.82.112.3 github.com", "140.82.112.3 www.github.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Twins =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestApplyClearKeepsEveryByte(t *testing.T) {
	for _, name := range []string{"user.hosts", "legacy.hosts"} {
		t.Run(name, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			applied := mustParse(t, orig).Apply(Twins(pairs()))
			golden(t, strings.TrimSuffix(name, ".hosts")+".applied.golden", applied)
			// Applying again is a no-op.
			f := mustParse(t, applied)
			if again := f.Apply(Twins(pairs())); !bytes.Equal(again, applied) {
				t.Errorf("second apply changed the file:\n%q", again)
			}
			if len(f.Entries()) != 6 || f.HasLegacy() {
				t.Errorf("entries %d legacy %v", len(f.Entries()), f.HasLegacy())
			}
			cleared := f.Clear()
			if name == "user.hosts" && !bytes.Equal(cleared, orig) {
				t.Errorf("apply → clear changed the file:\ngot  %q\nwant %q", cleared, orig)
			}
			golden(t, strings.TrimSuffix(name, ".hosts")+".cleared.golden", cleared)
		})
	}
}

func TestLegacyBlockRecognised(t *testing.T) {
	orig, _ := os.ReadFile("testdata/legacy.hosts")
	f := mustParse(t, orig)
	if !f.HasLegacy() {
		t.Fatal("the older toolkit's block was not recognised")
	}
	var names []string
	for _, e := range f.Entries() {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "example.com www.example.com old.test" {
		t.Errorf("legacy entries = %s", got)
	}
	cleared := string(f.Clear())
	if strings.Contains(cleared, "AUTOVPN") || strings.Contains(cleared, "old.test") || !strings.Contains(cleared, "# my own entries\n10.1.1.1 intranet\n") {
		t.Errorf("clear of legacy block:\n%s", cleared)
	}
}

// A backup of a file with only the older block, taken before the first
// apply replaced it, brings its entries back (as autovpn's block).
func TestLegacyBlockSurvivesBackupAndRestore(t *testing.T) {
	orig, _ := os.ReadFile("testdata/legacy.hosts")
	saved := mustParse(t, orig).Block()
	if saved == nil {
		t.Fatal("no block to back up from a file with the older block")
	}
	applied := mustParse(t, mustParse(t, orig).Apply(Twins(pairs())))
	restored, err := applied.WithBlock(saved)
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, restored)
	var names []string
	for _, e := range f.Entries() {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "example.com www.example.com old.test" || f.HasLegacy() {
		t.Fatalf("after restore: entries %s, older block %v\n%s", got, f.HasLegacy(), restored)
	}
	if !strings.Contains(string(restored), "# my own entries\n10.1.1.1 intranet\n") {
		t.Fatalf("user lines lost:\n%s", restored)
	}
}

func TestLegacyMarkerSpelling(t *testing.T) {
	for line, want := range map[string]bool{
		"# AUTOVPN自动写入":          true,
		"#AUTOVPN自动写入":           true,
		"\t#  AUTOVPN \t自动写入 v2": true,
		"# AUTOVP N自动写入":         false, // found by FuzzParse: a comment, not the marker
		"# autovpn自动写入":          false,
		"# AUTOVPN":              false,
	} {
		f := mustParse(t, []byte("127.0.0.1 localhost\n"+line+"\n1.2.3.4 old.test\n"))
		if f.HasLegacy() != want {
			t.Errorf("%q: legacy block %v, want %v", line, f.HasLegacy(), want)
		}
	}
}

func TestWithBlockRestoresSavedBlock(t *testing.T) {
	orig, _ := os.ReadFile("testdata/user.hosts")
	saved := mustParse(t, mustParse(t, orig).Apply(Twins(pairs()))).Block()
	// Meanwhile the user added a line and autovpn rewrote the block.
	later := append(mustParse(t, orig).Apply(Twins(pairs()[:1])), "\r\n10.9.9.9 new-user-line"...)
	got, err := mustParse(t, later).WithBlock(saved)
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, got)
	if !bytes.Equal(bytes.TrimRight(f.Block(), "\r\n"), bytes.TrimRight(saved, "\r\n")) || len(f.Entries()) != 6 || !bytes.HasSuffix(got, []byte("10.9.9.9 new-user-line")) {
		t.Errorf("WithBlock result:\n%q", got)
	}
	if _, err := f.WithBlock([]byte("1.2.3.4 x\n")); err == nil {
		t.Error("WithBlock accepted a block without markers")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\n# BEGIN AUTOVPN\n1.1.1.1 x\n", `line 2: "# BEGIN AUTOVPN" without "# END AUTOVPN" after it`},
		{"# END AUTOVPN\n", `line 1: "# END AUTOVPN" without "# BEGIN AUTOVPN"`},
		{"# BEGIN AUTOVPN\n# END AUTOVPN\n# BEGIN AUTOVPN\n# END AUTOVPN\n", "line 3: a second"},
	} {
		_, err := Parse(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestRoundTripEdgeCases(t *testing.T) {
	for _, in := range []string{"", "x", "x\n", "x\r\n", "a\r\nb", "b\r", "\n\n", "a\nb\r", "  \t"} {
		f := mustParse(t, []byte(in))
		applied := f.Apply(Twins(pairs()))
		if got := string(mustParse(t, applied).Clear()); got != in {
			t.Errorf("round trip of %q = %q (applied %q)", in, got, applied)
		}
	}
}
