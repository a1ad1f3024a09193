package httpproxy

import (
	"errors"
	"net"
	"strings"
	"testing"
)

var authorityCases = []struct {
	in, def, want string
}{
	{"example.com:443", "", "example.com:443"},
	{"Example.COM:8080", "80", "Example.COM:8080"},
	{"example.com", "80", "example.com:80"},
	{"example.com:", "80", "example.com:80"},
	{"192.0.2.1:1", "", "192.0.2.1:1"},
	{"[2001:DB8::0001]:443", "", "[2001:db8::1]:443"},
	{"[::1]", "80", "[::1]:80"},
	{"_srv.example:65535", "", "_srv.example:65535"},
	{"example.com", "", ""},
	{"example.com:0", "", ""},
	{"example.com:65536", "", ""},
	{"example.com:+80", "", ""},
	{"example.com:0080", "", "example.com:0080"},
	{"2001:db8::1", "80", ""},
	{"[2001:db8::1", "", ""},
	{"[2001:db8::1]x:1", "", ""},
	{"[192.0.2.1]:1", "", ""},
	{"[fe80::1%eth0]:1", "", ""},
	{"a/b:1", "", ""},
	{"a b:1", "", ""},
	{":80", "", ""},
	{"", "80", ""},
}

func TestParseAuthority(t *testing.T) {
	for _, tc := range authorityCases {
		got, err := parseAuthority(tc.in, tc.def)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("parseAuthority(%q, %q) = %q, %v; want %q", tc.in, tc.def, got, err, tc.want)
		}
		if err != nil && !errors.Is(err, errTarget) {
			t.Errorf("parseAuthority(%q): error %v does not wrap errTarget", tc.in, err)
		}
	}
}

func FuzzParseAuthority(f *testing.F) {
	for _, tc := range authorityCases {
		f.Add(tc.in, tc.def)
	}
	f.Fuzz(func(t *testing.T, in, def string) {
		got, err := parseAuthority(in, def)
		if err != nil {
			return
		}
		host, _, err := net.SplitHostPort(got)
		if err != nil {
			t.Fatalf("parseAuthority(%q) = %q, not host:port: %v", in, got, err)
		}
		if strings.ContainsAny(host, "/?#@ %\r\n") {
			t.Fatalf("parseAuthority(%q) let %q through", in, host)
		}
		if again, err := parseAuthority(got, ""); err != nil || again != got {
			t.Fatalf("parseAuthority(%q) = %q, which reparses as %q, %v", in, got, again, err)
		}
	})
}

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic YWxpY2U6czNjcmV0")
	f.Add("basic   YTpi ")
	f.Add("Basic !!!")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		user, pass, ok := parseBasic(h)
		if !ok && (user != "" || pass != "") {
			t.Fatalf("parseBasic(%q) failed but returned %q %q", h, user, pass)
		}
		if strings.Contains(user, ":") {
			t.Fatalf("parseBasic(%q) user %q contains a colon", h, user)
		}
	})
}
