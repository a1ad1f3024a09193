package domains

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

func entry(ip, d string) IPEntry { return IPEntry{IP: netip.MustParseAddr(ip), Domain: d} }

func TestParseIPListVariants(t *testing.T) {
	tests := []struct {
		name, in string
		want     []IPEntry
		errLine  int
	}{
		{"tab", "1.2.3.4\texample.com\n", []IPEntry{entry("1.2.3.4", "example.com")}, 0},
		{"spaces crlf", "1.2.3.4   example.com\r\n", []IPEntry{entry("1.2.3.4", "example.com")}, 0},
		{"reversed", "Example.com 2001:db8::1\n", []IPEntry{entry("2001:db8::1", "example.com")}, 0},
		{"bare ip", "2001:db8::2\n", []IPEntry{entry("2001:db8::2", "")}, 0},
		{"cidr host", "1.2.3.4/32 a.com\n", []IPEntry{entry("1.2.3.4", "a.com")}, 0},
		{"hosts style", "1.2.3.4 a.com www.a.com\n", []IPEntry{entry("1.2.3.4", "a.com"), entry("1.2.3.4", "www.a.com")}, 0},
		{"comments", "# header\n\n1.2.3.4\ta.com # note\n", []IPEntry{entry("1.2.3.4", "a.com")}, 0},
		{"csv", "a.com,1.2.3.4\n", []IPEntry{entry("1.2.3.4", "a.com")}, 0},
		{"bom", "\ufeff1.2.3.4\ta.com\n", []IPEntry{entry("1.2.3.4", "a.com")}, 0},
		{"mapped", "::ffff:1.2.3.4 a.com\n", []IPEntry{entry("1.2.3.4", "a.com")}, 0},
		{"no ip", "ok.com 1.1.1.1\njust.a.domain\n", []IPEntry{entry("1.1.1.1", "ok.com")}, 2},
		{"two ips", "1.1.1.1\n1.1.1.1 2.2.2.2\n", []IPEntry{entry("1.1.1.1", "")}, 2},
		{"network", "\n\n10.0.0.0/8 a.com\n", nil, 3},
		{"bad domain", "1.1.1.1 bad!\n", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIPList(strings.NewReader(tt.in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("entries = %v, want %v", got, tt.want)
			}
			var le *LineError
			switch {
			case tt.errLine == 0 && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.errLine != 0 && (!errors.As(err, &le) || le.Line != tt.errLine):
				t.Errorf("error %v, want one naming line %d", err, tt.errLine)
			}
		})
	}
}

func TestParseIPListUTF16(t *testing.T) {
	u := utf16.Encode([]rune("\ufeff1.2.3.4\ta.com\r\n"))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	got, err := ParseIPList(strings.NewReader(string(b)))
	if err != nil || !slices.Equal(got, []IPEntry{entry("1.2.3.4", "a.com")}) {
		t.Fatalf("UTF-16LE file: %v, %v", got, err)
	}
}

func TestRenderIPList(t *testing.T) {
	in := []IPEntry{
		entry("2001:db8::1", "b.com"), entry("192.0.2.2", "b.com"), entry("192.0.2.1", "b.com"),
		entry("192.0.2.9", "a.com"), entry("192.0.2.1", "b.com"), entry("2001:db8::9", ""),
	}
	got := RenderIPList(in, "autovpn IP list\nresolved 2026-01-01 via 127.0.0.1:53\n# kept")
	golden(t, "iplist", got)
	back, err := ParseIPList(strings.NewReader(string(got)))
	if err != nil || len(back) != 5 {
		t.Fatalf("round trip: %v, %v", back, err)
	}
}

func TestReadIPListNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ips.txt")
	os.WriteFile(path, []byte("1.1.1.1 a.com\nnope\n"), 0o644)
	got, err := ReadIPList(path)
	if len(got) != 1 || err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Fatalf("ReadIPList = %v, %v", got, err)
	}
}

func TestImportLegacyFiles(t *testing.T) {
	dir := t.TempDir()
	dl := filepath.Join(dir, LegacyDomainsFile)
	os.WriteFile(dl, []byte("# 需要获取IP的域名\r\ngoogle.com\r\nhttps://www.youtube.com/\r\n\r\nbad!domain.com\r\n"), 0o644)
	ipf := filepath.Join(dir, LegacyIPListFile)
	os.WriteFile(ipf, []byte("142.250.1.1\tgoogle.com\r\n2607:f8b0::1 google.com\r\ntwitter.com 104.244.42.1\r\n8.8.8.8\r\n"), 0o644)
	im, err := ImportFile(dl)
	if err != nil || !slices.Equal(im.Domains, []string{"google.com", "www.youtube.com"}) || len(im.Errors) != 1 ||
		!strings.Contains(im.Errors[0].Error(), dl+":5:") {
		t.Fatalf("import domains: %+v, %v", im, err)
	}
	im, err = ImportFile(ipf)
	if err != nil || len(im.IPs) != 4 || len(im.Errors) != 0 ||
		!slices.Equal(im.Domains, []string{"google.com", "google.com", "twitter.com"}) {
		t.Fatalf("import IPs: %+v, %v", im, err)
	}
}

func FuzzParseIPList(f *testing.F) {
	for _, s := range []string{"1.2.3.4\ta.com\n", "a.com 2001:db8::1\r\n", "# c\n::1\n", "1.1.1.1/32 x.y z.w\n",
		"\ufeff1.2.3.4 a.com", "\xff\xfe1\x00", "1.1.1.1 2.2.2.2", "fe80::1%eth0 a.com", "a,b;c 1.2.3.4"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _ := ParseIPList(strings.NewReader(string(b)))
		for _, e := range entries {
			if !e.IP.IsValid() || e.IP.Zone() != "" || e.IP.Is4In6() {
				t.Fatalf("bad address %v from %q", e.IP, b)
			}
		}
		// What we render must parse back to the same set.
		out := RenderIPList(entries, "h")
		back, err := ParseIPList(strings.NewReader(string(out)))
		if err != nil || !slices.Equal(SortIPEntries(back), SortIPEntries(entries)) {
			t.Fatalf("round trip of %q: %v, %v != %v", b, err, back, entries)
		}
	})
}
