package pac

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	proxyBoth = "SOCKS5 127.0.0.1:1082; SOCKS5 [::1]:1082; PROXY 127.0.0.1:8081; PROXY [::1]:8081; DIRECT"
	proxyV4   = "SOCKS5 127.0.0.1:1082; PROXY 127.0.0.1:8081; DIRECT"
)

func opts(mode Mode) Options {
	return Options{
		Mode:          mode,
		Domains:       []string{"example.com", "*.wild.test", "GitHub.com.", "xn--fiqs8s.test"},
		DirectDomains: []string{"cn", "baidu.com", "*.qq.com"},
		SOCKS5Port:    1082, HTTPPort: 8081, ListenV4: "127.0.0.1", ListenV6: "::1", EnableIPv6: true,
	}
}

// findProxy runs FindProxyForURL in a JavaScript engine. The resolving PAC
// helpers throw, so a script that calls one fails the test.
func findProxy(t *testing.T, script []byte, rawURL string) string {
	t.Helper()
	vm := goja.New()
	for _, f := range []string{"dnsResolve", "isInNet", "isResolvable", "myIpAddress", "dnsResolveEx", "isInNetEx"} {
		vm.Set(f, func(goja.FunctionCall) goja.Value { panic(vm.NewGoError(os.ErrPermission)) })
	}
	if _, err := vm.RunString(string(script)); err != nil {
		t.Fatalf("PAC does not run: %v", err)
	}
	fn, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		t.Fatal("no FindProxyForURL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Hostname() // browsers pass the host without port; some keep IPv6 brackets
	if strings.HasSuffix(rawURL, "#brackets") {
		host = "[" + host + "]"
	}
	v, err := fn(goja.Undefined(), vm.ToValue(rawURL), vm.ToValue(host))
	if err != nil {
		t.Fatalf("FindProxyForURL(%q): %v", rawURL, err)
	}
	return v.String()
}

func TestFindProxyForURL(t *testing.T) {
	const P, D = proxyBoth, "DIRECT"
	cases := []struct{ url, smart, bypass, all string }{
		{"https://example.com/", P, P, P},
		{"https://www.example.com/x", P, P, P},
		{"https://a.b.EXAMPLE.com./", P, P, P},
		{"https://EXAMPLE.COM/", P, P, P},
		{"https://notexample.com/", D, P, P},
		{"https://example.com.evil.test/", D, P, P},
		{"https://github.com/", P, P, P},
		{"https://wild.test/", D, P, P},
		{"https://x.wild.test/", P, P, P},
		{"https://a.xn--fiqs8s.test/", P, P, P},
		{"http://intranet/", D, D, D},
		{"http://localhost:8080/", D, D, D},
		{"http://printer.local/", D, D, D},
		{"http://127.0.0.1/", D, D, D},
		{"http://10.1.2.3/", D, D, D},
		{"http://172.16.0.1/", D, D, D},
		{"http://172.32.0.1/", D, P, P},
		{"http://192.168.1.1/", D, D, D},
		{"http://169.254.169.254/", D, D, D},
		{"http://8.8.8.8/", D, P, P},
		{"http://999.1.1.1/", D, P, P}, // not an IP: a (dotted) name
		{"http://[::1]/", D, D, D},
		{"http://[::]/", D, D, D},
		{"http://[fd00::1]/", D, D, D},
		{"http://[fc12:3456::1]:8080/", D, D, D},
		{"http://[fe80::1]/", D, D, D},
		{"http://[fe80::1]/#brackets", D, D, D},
		{"http://[2001:db8::1]/#brackets", D, P, P},
		{"http://[::ffff:192.168.0.1]/", D, D, D},
		{"http://[::ffff:8.8.8.8]/", D, P, P},
		{"http://[2001:db8::1]/", D, P, P},
		{"http://[2606:4700:4700::1111]/", D, P, P},
		{"https://www.baidu.com/", D, D, P},
		{"https://news.cn/", D, D, P},
		{"https://qq.com/", D, P, P},
		{"https://im.qq.com/", D, D, P},
	}
	scripts := map[Mode][]byte{}
	for _, m := range []Mode{Smart, Bypass, All, Direct} {
		b, err := Render(opts(m))
		if err != nil {
			t.Fatal(err)
		}
		scripts[m] = b
	}
	for _, tc := range cases {
		for m, want := range map[Mode]string{Smart: tc.smart, Bypass: tc.bypass, All: tc.all, Direct: D} {
			if got := findProxy(t, scripts[m], tc.url); got != want {
				t.Errorf("%s %s = %q, want %q", m, tc.url, got, want)
			}
		}
	}
}

func TestProxyString(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"both families", func(*Options) {}, proxyBoth},
		{"ipv4 only", func(o *Options) { o.EnableIPv6 = false }, proxyV4},
		{"unspecified listen", func(o *Options) { o.ListenV4, o.ListenV6 = "0.0.0.0", "::" }, proxyBoth},
		{"socks only", func(o *Options) { o.HTTPPort = 0 }, "SOCKS5 127.0.0.1:1082; SOCKS5 [::1]:1082; DIRECT"},
		{"other addresses", func(o *Options) { o.ListenV4, o.ListenV6 = "192.168.1.5", "[fd00::5]" },
			"SOCKS5 192.168.1.5:1082; SOCKS5 [fd00::5]:1082; PROXY 192.168.1.5:8081; PROXY [fd00::5]:8081; DIRECT"},
	} {
		o := opts(Smart)
		tc.edit(&o)
		got, err := ProxyString(o)
		if err != nil || got != tc.want {
			t.Errorf("%s: ProxyString = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"mode", func(o *Options) { o.Mode = "fast" }, `PAC mode "fast"`},
		{"domain", func(o *Options) { o.Domains = []string{`a";alert(1);"`} }, "is not a valid host name"},
		{"listen v6", func(o *Options) { o.ListenV6 = "127.0.0.1" }, "not an IPv6 address"},
		{"no ports", func(o *Options) { o.SOCKS5Port, o.HTTPPort = 0, 0 }, "neither SOCKS5_PORT nor HTTP_PORT"},
	} {
		o := opts(Smart)
		tc.edit(&o)
		if _, err := Render(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestNeverResolves greps every mode's output for the PAC functions that
// make a local DNS query.
func TestNeverResolves(t *testing.T) {
	bad := regexp.MustCompile(`dnsResolve|isInNet|isResolvable|myIpAddress|dnsDomainLevels`)
	for _, m := range []Mode{Smart, Bypass, All, Direct} {
		b, _ := Render(opts(m))
		if loc := bad.Find(b); loc != nil {
			t.Errorf("%s PAC calls %s", m, loc)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, m := range []Mode{Smart, Bypass, All, Direct} {
		o := opts(m)
		if m == All {
			o.EnableIPv6 = false
		}
		got, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", string(m)+".pac.golden")
		if *update {
			os.WriteFile(path, got, 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from golden (go test -update): %v", path, err)
		}
	}
}

func TestETag(t *testing.T) {
	a, b := ETag([]byte("a")), ETag([]byte("b"))
	if a == b || !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(a) || a != ETag([]byte("a")) {
		t.Errorf("ETag a=%s b=%s", a, b)
	}
}
