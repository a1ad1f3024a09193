package domains

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		errHas   string
	}{
		{in: "example.com", want: "example.com"},
		{in: "  Example.COM.  ", want: "example.com"},
		{in: "https://www.Example.com:8443/path?q=1#frag", want: "www.example.com"},
		{in: "http://user:pw@example.com/", want: "example.com"},
		{in: "example.com:443", want: "example.com"},
		{in: "example.com/a/b", want: "example.com"},
		{in: "*.Example.com", want: "*.example.com"},
		{in: ".example.com", want: "*.example.com"},
		{in: "*.cn", want: "*.cn"},
		{in: "bücher.de", want: "xn--bcher-kva.de"},
		{in: "ＥＸＡＭＰＬＥ。com", want: "example.com"},
		{in: "example.com。", want: "example.com"}, // a full-width trailing dot is a trailing dot
		{in: "例子．测试｡", want: "xn--fsqu00a.xn--0zwm56d"},
		{in: "例子.测试", want: "xn--fsqu00a.xn--0zwm56d"},
		{in: "_dmarc.example.com", want: "_dmarc.example.com"},
		{in: "", errHas: "empty"},
		{in: "https://", errHas: "empty"},
		{in: "localhost", errHas: "single label"},
		{in: "1.2.3.4", errHas: "IP address"},
		{in: "[2001:db8::1]:443", errHas: "IP address"},
		{in: "exa mple.com", errHas: "character"},
		{in: "-bad.com", errHas: "-bad"},
		{in: "a..com", errHas: "empty label"},
		{in: strings.Repeat("a", 64) + ".com", errHas: "63"},
		{in: "example.123", errHas: "digits"},
		{in: "ex!ample.com", errHas: "character"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Normalize(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.errHas)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitEntries(t *testing.T) {
	got := SplitEntries(" a.com, b.com;c.com\td.com  e.com，f.com ")
	want := []string{"a.com", "b.com", "c.com", "d.com", "e.com", "f.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("SplitEntries = %q, want %q", got, want)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "https://a.b/c?d#e", "*.x.y", "bücher.de", "[::1]:80",
		"a..b", ".", "*.", "xn--bcher-kva.de", "ＥＸＡＭＰＬＥ。com", "user@host:1", "\x00", "-a-.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			return
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v: not idempotent", s, got, got, again, err)
		}
		if got != strings.ToLower(got) || strings.ContainsAny(got, " /:?#@") || len(got) > maxNameLen {
			t.Fatalf("Normalize(%q) = %q is not canonical", s, got)
		}
	})
}
