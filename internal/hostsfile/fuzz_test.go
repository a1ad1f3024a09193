package hostsfile

import (
	"bytes"
	"os"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/user.hosts", "testdata/legacy.hosts"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "x", "a\r\nb", "# BEGIN AUTOVPN\n1.1.1.1 a\n# END AUTOVPN", "b\r", "::1 localhost\n\t\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		p.Entries()
		applied := p.Apply(Twins(pairs()))
		q, err := Parse(bytes.NewReader(applied))
		if err != nil {
			t.Fatalf("applied file does not parse: %v\n%q", err, applied)
		}
		if len(q.Entries()) != 6 {
			t.Fatalf("applied file has %d entries, want 6:\n%q", len(q.Entries()), applied)
		}
		if bytes.Contains(data, []byte("AUTOVPN")) {
			return
		}
		if cleared := q.Clear(); !bytes.Equal(cleared, data) {
			t.Fatalf("clear(apply(x)) != x\nx:   %q\ngot: %q", data, cleared)
		}
	})
}
