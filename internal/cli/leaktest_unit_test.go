package cli

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/pac"
)

func TestJudgeEcho(t *testing.T) {
	a := netip.MustParseAddr
	ok := func(s string) echoView { return echoView{Addr: a(s)} }
	failed := echoView{Err: errors.New("connect: network unreachable")}
	servers := []netip.Addr{a("203.0.113.5"), a("2001:db8:5::1")}
	for _, tc := range []struct {
		name           string
		fam            string
		direct, tunnel echoView
		servers        []netip.Addr
		want, detail   string
	}{
		{"tunnel shows server", "ipv4", ok("198.51.100.7"), ok("203.0.113.5"), servers, leakPass, "the tunnel shows the server"},
		{"same address both ways", "ipv4", ok("198.51.100.7"), ok("198.51.100.7"), servers, leakLeak, "direct address 198.51.100.7"},
		{"ipv6 same address", "ipv6", ok("2001:db8:1::7"), ok("2001:db8:1::7"), nil, leakLeak, "direct address"},
		{"ipv6 tunnel shows server, no direct ipv6", "ipv6", failed, ok("2001:db8:5::1"), servers, leakPass, "direct failed"},
		{"tunnel request fails", "ipv6", ok("2001:db8:1::7"), failed, servers, leakFail, "through the tunnel"},
		{"other server address", "ipv4", ok("198.51.100.7"), ok("203.0.113.99"), servers, leakWarn, "not one of the server's"},
		{"differs, server unknown", "ipv4", ok("198.51.100.7"), ok("203.0.113.99"), nil, leakPass, "they differ"},
		{"no direct view, server unknown", "ipv4", failed, ok("203.0.113.99"), nil, leakUnproven, "no direct view"},
		{"echo answered over the other family", "ipv6", failed, ok("203.0.113.5"), servers, leakUnproven, "IPv6-only echo URL"},
	} {
		got, detail := judgeEcho(tc.fam, tc.direct, tc.tunnel, tc.servers)
		if got != tc.want || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.name, got, detail, tc.want, tc.detail)
		}
	}
}

func TestParseEchoBody(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"203.0.113.5\n", "203.0.113.5"},
		{"  2001:db8::1  \r\n", "2001:db8::1"},
		{`{"ip":"2001:db8::2"}`, "2001:db8::2"},
		{`{"origin":"203.0.113.5, 10.0.0.1"}`, "203.0.113.5"},
		{`{"query":"::ffff:203.0.113.9","status":"success"}`, "203.0.113.9"},
		{"[2001:db8::3]", "2001:db8::3"},
		{"fe80::1%eth0", "fe80::1"},
		{"<html>hello</html>", ""},
		{`{"ip":5}`, ""},
		{"", ""},
	} {
		got, err := parseEchoBody([]byte(tc.body))
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: got %s, want an error", tc.body, got)
			}
			continue
		}
		if err != nil || got != netip.MustParseAddr(tc.want) {
			t.Errorf("%q = %v, %v; want %s", tc.body, got, err, tc.want)
		}
	}
}

func FuzzParseEchoBody(f *testing.F) {
	for _, s := range []string{"203.0.113.5\n", `{"ip":"2001:db8::2"}`, `{"origin":"1.2.3.4, 5.6.7.8"}`, "[::1]", "fe80::1%lo", "{", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseEchoBody(b)
		if err == nil && (!a.IsValid() || a.Is4In6() || a.Zone() != "") {
			t.Fatalf("%q → %v: not a plain address", b, a)
		}
	})
}

func renderTestPAC(t *testing.T, ipv6 bool, routed ...string) []byte {
	t.Helper()
	b, err := pac.Render(pac.Options{Mode: pac.Smart, Domains: routed, SOCKS5Port: 1082, HTTPPort: 8081,
		ListenV4: "127.0.0.1", ListenV6: "::1", EnableIPv6: ipv6})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPACJudgement(t *testing.T) {
	cfg := config.Default() // ENABLE_IPV6=true
	for _, tc := range []struct {
		name   string
		script []byte
		names  []string
		v4, v6 string
		leakJS bool // a "PAC never resolves names" LEAK row
	}{
		{"routed both families", renderTestPAC(t, true, "a.test", "*.wild.test"), []string{"a.test", "www.a.test", "www.wild.test"}, leakPass, leakPass, false},
		{"no IPv6 proxies", renderTestPAC(t, false, "a.test"), []string{"a.test"}, leakPass, leakLeak, false},
		{"name not routed", renderTestPAC(t, true, "a.test"), []string{"b.test"}, leakLeak, leakLeak, false},
		{"IPv6 proxy first is fine for ipv6, not ipv4", []byte(`function FindProxyForURL(u, h) { return "SOCKS5 [::1]:1082; SOCKS5 127.0.0.1:1082"; }`), []string{"a.test"}, leakLeak, leakPass, false},
		{"resolving PAC", []byte(`function FindProxyForURL(u, h) { if (isInNet(dnsResolve(h), "10.0.0.0", "255.0.0.0")) return "DIRECT"; return "PROXY 127.0.0.1:8081; PROXY [::1]:8081"; }`), []string{"a.test"}, leakPass, leakPass, true},
		{"helpers", []byte(`function FindProxyForURL(u, h) { if (shExpMatch(h, "*.a.test") || dnsDomainIs(h, ".b.test") || isPlainHostName(h)) return "SOCKS 127.0.0.1:1; SOCKS [::1]:1"; return "DIRECT"; }`), []string{"x.a.test", "y.b.test"}, leakPass, leakPass, false},
	} {
		res, err := evalPAC(tc.script, tc.names)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rows := judgePAC(cfg, res)
		if tc.leakJS != (rows[0].Check == "PAC never resolves names") {
			t.Errorf("%s: resolving-PAC row: %+v", tc.name, rows)
		}
		if r := rowOf(t, rows, "PAC routes", "ipv4"); r.Result != tc.v4 {
			t.Errorf("%s: ipv4 %+v, want %s", tc.name, r, tc.v4)
		}
		if r := rowOf(t, rows, "PAC routes", "ipv6"); r.Result != tc.v6 {
			t.Errorf("%s: ipv6 %+v, want %s", tc.name, r, tc.v6)
		}
	}
	for _, bad := range []string{"function (", "var x = 1;"} {
		if _, err := evalPAC([]byte(bad), []string{"a.test"}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestLeakCoverage(t *testing.T) {
	const ips = "# resolved\n192.0.2.10\ta.test\n2001:db8::10\ta.test\n192.0.2.20\tb.test\n"
	const block4 = "# BEGIN AUTOVPN\n192.0.2.10 a.test\n192.0.2.20 b.test\n"
	const wg = "[Interface]\nAddress = 10.8.0.2/24\n[Peer]\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24, "
	for _, tc := range []struct {
		name, ips, hosts, wg string
		want                 map[string]string // check prefix + "/" + family → result
	}{
		{"all covered", ips, block4 + "2001:db8::10 a.test\n# END AUTOVPN\n", wg + "192.0.2.10/32, 192.0.2.20/32, 2001:db8::10/128\n",
			map[string]string{"hosts/ipv4": leakPass, "hosts/ipv6": leakPass, "WireGuard/ipv4": leakPass, "WireGuard/ipv6": leakPass}},
		{"IPv6 missing", ips, block4 + "# END AUTOVPN\n", wg + "192.0.2.0/24\n",
			map[string]string{"hosts/ipv4": leakPass, "hosts/ipv6": leakLeak, "WireGuard/ipv4": leakPass, "WireGuard/ipv6": leakLeak}},
		{"no block, no wg", ips, "127.0.0.1 localhost\n", "",
			map[string]string{"hosts/-": leakSkip, "WireGuard/-": leakSkip}},
		{"IPv4 only list", "192.0.2.10\ta.test\n", block4 + "# END AUTOVPN\n", wg + "192.0.2.10/32\n",
			map[string]string{"hosts/ipv6": leakSkip, "WireGuard/ipv6": leakSkip}},
		{"no IP list", "", "", "", map[string]string{"hosts/-": leakSkip, "WireGuard/-": leakSkip}},
		{"broken hosts markers", ips, "# END AUTOVPN\n", "", map[string]string{"hosts/-": leakFail}},
	} {
		cfg := coverageConfig(t, tc.ips, tc.hosts, tc.wg)
		rows := leakCoverageRows(cfg, nil)
		for k, want := range tc.want {
			check, fam, _ := strings.Cut(k, "/")
			if r := rowOf(t, rows, check, fam); r.Result != want {
				t.Errorf("%s: %s = %+v, want %s", tc.name, k, r, want)
			}
		}
	}
}

func TestListRoutes(t *testing.T) {
	list := domains.NewList()
	list.Add("a.test", "*.wild.test")
	for name, want := range map[string]bool{
		"a.test": true, "www.a.test": true, "x.y.a.test": true, "wild.test": false,
		"www.wild.test": true, "b.test": false, "aa.test": false,
	} {
		if got := listRoutes(list, name); got != want {
			t.Errorf("listRoutes(%q) = %v, want %v", name, got, want)
		}
	}
}

// coverageConfig is a config whose IP list (unless ips is empty), hosts file
// and WireGuard config (unless wg is empty) hold the given text, in a
// folder of the test's.
func coverageConfig(t *testing.T, ips, hosts, wg string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.IPListFile, cfg.HostsFile = filepath.Join(dir, "ips.txt"), filepath.Join(dir, "hosts")
	if ips != "" {
		writeFile(t, cfg.IPListFile, ips)
	}
	writeFile(t, cfg.HostsFile, hosts)
	if wg != "" {
		cfg.WGConfPath = writeFile(t, filepath.Join(dir, "wg.conf"), wg)
	}
	return cfg
}
