package cli

import (
	"context"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// TestLeakTestServerAAAANotCovered is the reviewer's case against a real
// server and client: the IP list, the hosts block and AllowedIPs hold only
// 192.0.2.10 for a.test, while the server answers AAAA 2001:db8::10 too. The
// IPv6 coverage rows must report the leak, not skip it.
func TestLeakTestServerAAAANotCovered(t *testing.T) {
	dir := t.TempDir()
	dnsAddr := startTestDNS(t)
	p := newAdminPair(t, func(s, c *config.Config) {
		s.PrimaryDNS = dnsAddr
		c.DomainsFile = writeFile(t, filepath.Join(dir, "domains.txt"), "a.test\n")
		c.IPListFile = writeFile(t, filepath.Join(dir, "ips.txt"), "192.0.2.10\ta.test\n")
		c.HostsFile = writeFile(t, filepath.Join(dir, "hosts"), "127.0.0.1 localhost\n# BEGIN AUTOVPN\n192.0.2.10 a.test\n192.0.2.10 www.a.test\n# END AUTOVPN\n")
		c.WGConfPath = writeFile(t, filepath.Join(dir, "wg.conf"), "[Interface]\nAddress = 10.0.0.2/32\n[Peer]\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.0.0.0/24, 192.0.2.10/32\n")
	})
	rows, err := runLeakTest(context.Background(), p.ccfg, leakOptions{sample: 5, timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		check, fam, result string
		details            []string
	}{
		{"names resolved at server (AAAA)", "ipv6", leakPass, []string{"1 with AAAA (a.test)"}},
		{"hosts covers the IP list", "ipv4", leakPass, []string{"all 1 IPv4 domains"}},
		{"hosts covers the IP list", "ipv6", leakLeak, []string{"a.test", "2001:db8::10", "not in the IP list", "autovpn domains resolve", "autovpn hosts apply"}},
		{"WireGuard covers the IP list", "ipv4", leakPass, []string{"all 1 IPv4 addresses"}},
		{"WireGuard covers the IP list", "ipv6", leakLeak, []string{"2001:db8::10", "a.test", "not in the IP list", "AllowedIPs", "autovpn domains resolve", "autovpn wg sync"}},
	}
	for _, w := range want {
		r := rowOf(t, rows, w.check, w.fam)
		if r.Result != w.result {
			t.Errorf("%s/%s = %s %q, want %s", w.check, w.fam, r.Result, r.Detail, w.result)
			continue
		}
		for _, d := range w.details {
			if !strings.Contains(r.Detail, d) {
				t.Errorf("%s/%s detail %q lacks %q", w.check, w.fam, r.Detail, d)
			}
		}
	}
	var out strings.Builder
	if err := reportLeakTest(&out, rows, false); err == nil || !strings.Contains(out.String(), "verdict: 2 leaks and 0 failures") {
		t.Errorf("report err %v:\n%s", err, out.String())
	}
	t.Logf("leak-test:\n%s", out.String())
}

// TestLeakCoverageServed feeds the coverage checks the server's answers for
// the routed names tested: an address the IP list lacks, and therefore the
// hosts block and AllowedIPs written from it, is a leak; a family the
// server did not answer stays skip.
func TestLeakCoverageServed(t *testing.T) {
	a := netip.MustParseAddr
	const ips4 = "192.0.2.10\ta.test\n"
	const hosts4 = "# BEGIN AUTOVPN\n192.0.2.10 a.test\n192.0.2.10 www.a.test\n# END AUTOVPN\n"
	const wg = "[Interface]\nAddress = 10.0.0.2/32\n[Peer]\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.0.0.0/24, "
	type want struct{ result, detail string }
	for _, tc := range []struct {
		name, ips, hosts, wg string
		served               leakServed
		want                 map[string]want // check prefix + "/" + family
	}{
		{"server AAAA not in the IP list", ips4, hosts4, wg + "192.0.2.10/32\n",
			leakServed{"a.test": {a("192.0.2.10"), a("2001:db8::10")}},
			map[string]want{
				"hosts/ipv4":     {leakPass, "all 1 IPv4 domains"},
				"hosts/ipv6":     {leakLeak, "a.test (the server answers 2001:db8::10, not in the IP list) (fix: `autovpn domains resolve`, then `autovpn hosts apply`)"},
				"WireGuard/ipv4": {leakPass, "all 1 IPv4 addresses"},
				"WireGuard/ipv6": {leakLeak, "2001:db8::10 (the server's answer for a.test, not in the IP list) (fix: `autovpn domains resolve`, then `autovpn wg sync`)"},
			}},
		{"server A moved", ips4, hosts4, wg + "192.0.2.10/32\n",
			leakServed{"a.test": {a("192.0.2.11")}},
			map[string]want{
				"hosts/ipv4":     {leakPass, "all 1 IPv4 domains"}, // the hosts line pins a.test
				"hosts/ipv6":     {leakSkip, "the server answered no AAAA for the 1 routed names tested"},
				"WireGuard/ipv4": {leakLeak, "1 of 2 IPv4 addresses lack a route in AllowedIPs"},
				"WireGuard/ipv6": {leakSkip, "no AAAA"},
			}},
		{"new routed name", ips4, hosts4, wg + "192.0.2.10/32\n",
			leakServed{"a.test": {a("192.0.2.10")}, "b.test": {a("198.51.100.2")}},
			map[string]want{
				"hosts/ipv4":     {leakLeak, "b.test (the server answers 198.51.100.2, not in the IP list)"},
				"WireGuard/ipv4": {leakLeak, "198.51.100.2 (the server's answer for b.test"},
			}},
		{"covered by the list and a wider route", ips4 + "2001:db8::10\ta.test\n", "# BEGIN AUTOVPN\n192.0.2.10 a.test\n2001:db8::10 a.test\n# END AUTOVPN\n", wg + "192.0.2.10/32, 2001:db8::/64\n",
			leakServed{"a.test": {a("192.0.2.10"), a("2001:db8::10")}},
			map[string]want{"hosts/ipv4": {leakPass, ""}, "hosts/ipv6": {leakPass, ""}, "WireGuard/ipv4": {leakPass, ""}, "WireGuard/ipv6": {leakPass, ""}}},
		{"listed, hosts stale", ips4 + "2001:db8::10\ta.test\n", hosts4, wg + "192.0.2.10/32, 2001:db8::10/128\n",
			leakServed{"a.test": {a("192.0.2.10"), a("2001:db8::10")}},
			map[string]want{"hosts/ipv6": {leakLeak, "lack an IPv6 line in the hosts block " /* then the path */}, "WireGuard/ipv6": {leakPass, ""}}},
		{"no IP list, server answers", "", hosts4, wg + "192.0.2.10/32\n",
			leakServed{"a.test": {a("192.0.2.10"), a("2001:db8::10")}},
			map[string]want{"hosts/ipv6": {leakLeak, "2001:db8::10"}, "WireGuard/ipv6": {leakLeak, "2001:db8::10"}}},
		{"hosts and wg not in use", ips4, "127.0.0.1 localhost\n", "",
			leakServed{"a.test": {a("2001:db8::10")}},
			map[string]want{"hosts/-": {leakSkip, "not in use"}, "WireGuard/-": {leakSkip, "not in use"}}},
	} {
		cfg := coverageConfig(t, tc.ips, tc.hosts, tc.wg)
		rows := leakCoverageRows(cfg, tc.served)
		for k, w := range tc.want {
			check, fam, _ := strings.Cut(k, "/")
			if r := rowOf(t, rows, check, fam); r.Result != w.result || !strings.Contains(r.Detail, w.detail) {
				t.Errorf("%s: %s = %s %q, want %s containing %q", tc.name, k, r.Result, r.Detail, w.result, w.detail)
			}
		}
	}
}

// TestLeakServedAddrs keeps the answers of routed names only, unmapped and
// without repeats, and drops failed answers.
func TestLeakServedAddrs(t *testing.T) {
	a := netip.MustParseAddr
	set := leakSampleSet{names: []string{"a.test", "nx.test", "extra.test", "b.test"}, unlisted: map[string]bool{"extra.test": true}}
	got := servedAddrs(set, []wire.NameAnswer{
		{Code: netx.OK, Records: []wire.Record{{IP: a("::ffff:192.0.2.10")}, {IP: a("2001:db8::10")}, {IP: a("192.0.2.10")}}},
		{Code: netx.NotFound},
		{Code: netx.OK, Records: []wire.Record{{IP: a("198.51.100.1")}}},
		{Code: netx.OK},
	})
	want := leakServed{"a.test": {a("192.0.2.10"), a("2001:db8::10")}, "b.test": nil}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("servedAddrs = %v, want %v", got, want)
	}
}
