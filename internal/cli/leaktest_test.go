package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/testbed"
	mdns "github.com/miekg/dns"
)

// startTestDNS serves a.test (A 192.0.2.10, AAAA 2001:db8::10) on UDP
// 127.0.0.1; every other name is NXDOMAIN.
func startTestDNS(t *testing.T) string {
	t.Helper()
	return testbed.ScriptedDNS(t, func(w mdns.ResponseWriter, q *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(q)
		qq := q.Question[0]
		switch {
		case qq.Name != "a.test.":
			m.Rcode = mdns.RcodeNameError
		case qq.Qtype == mdns.TypeA:
			m.Answer = append(m.Answer, &mdns.A{Hdr: mdns.RR_Header{Name: qq.Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 60}, A: net.ParseIP("192.0.2.10")})
		case qq.Qtype == mdns.TypeAAAA:
			m.Answer = append(m.Answer, &mdns.AAAA{Hdr: mdns.RR_Header{Name: qq.Name, Rrtype: mdns.TypeAAAA, Class: mdns.ClassINET, Ttl: 60}, AAAA: net.ParseIP("2001:db8::10")})
		}
		w.WriteMsg(m)
	})
}

// startIPEcho serves the caller's address over HTTP on host.
func startIPEcho(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _, _ := net.SplitHostPort(r.RemoteAddr)
		w.Write([]byte(h + "\n"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// bindSource127_0_0_2 makes direct IPv4 requests come from 127.0.0.2, so
// on loopback the direct view differs from the server's (127.0.0.1).
func bindSource127_0_0_2(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{}
	if network == "tcp4" {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
	}
	return d.DialContext(ctx, network, addr)
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func rowOf(t *testing.T, rows []leakRow, check, fam string) leakRow {
	t.Helper()
	for _, r := range rows {
		if strings.HasPrefix(r.Check, check) && r.Family == fam {
			return r
		}
	}
	t.Fatalf("no row %q/%s in %+v", check, fam, rows)
	return leakRow{}
}

// TestLeakTestAgainstRealClient runs every check against a real client and
// server on loopback. The IPv4 echo sees the direct request from 127.0.0.2
// and the tunnelled one from the server's 127.0.0.1: pass. IPv6 loopback
// has one address, so both views are ::1: the check must call it a leak.
func TestLeakTestAgainstRealClient(t *testing.T) {
	dir := t.TempDir()
	dnsAddr := startTestDNS(t)
	p := newAdminPair(t, func(s, c *config.Config) {
		s.PrimaryDNS = dnsAddr
		c.DomainsFile = writeFile(t, filepath.Join(dir, "domains.txt"), "a.test\n")
		c.IPListFile = writeFile(t, filepath.Join(dir, "ips.txt"), "192.0.2.10\ta.test\n2001:db8::10\ta.test\n")
		c.HostsFile = writeFile(t, filepath.Join(dir, "hosts"), "127.0.0.1 localhost\n# BEGIN AUTOVPN\n192.0.2.10 a.test\n2001:db8::10 a.test\n# END AUTOVPN\n")
		c.WGConfPath = writeFile(t, filepath.Join(dir, "wg.conf"), "[Interface]\nAddress = 10.8.0.2/24\n[Peer]\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24, 192.0.2.10/32\n")
	})
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("this host cannot use 127.0.0.2: %v", err)
	} else {
		ln.Close()
	}
	o := leakOptions{domains: []string{"nx.test"}, sample: 5, timeout: 10 * time.Second,
		echo4: startIPEcho(t, "127.0.0.1"), echo6: startIPEcho(t, "::1"), directDial: bindSource127_0_0_2}
	rows, err := runLeakTest(context.Background(), p.ccfg, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ check, fam, result, detail string }{
		{"socks5 proxy answers", "ipv4", leakPass, "answers at 127.0.0.1:"},
		{"socks5 proxy answers", "ipv6", leakPass, "answers at [::1]:"},
		{"http proxy answers", "ipv4", leakPass, ""},
		{"http proxy answers", "ipv6", leakPass, ""},
		{"names resolved at server (A)", "ipv4", leakPass, "1 with A (a.test); no answer: nx.test: name not found"},
		{"names resolved at server (AAAA)", "ipv6", leakPass, "1 with AAAA (a.test)"},
		{"local DNS not asked", "-", leakUnproven, "needs root"},
		{"hosts covers the IP list", "ipv4", leakPass, "all 1 IPv4 domains"},
		{"hosts covers the IP list", "ipv6", leakPass, "all 1 IPv6 domains"},
		{"WireGuard covers the IP list", "ipv4", leakPass, ""},
		{"WireGuard covers the IP list", "ipv6", leakLeak, "2001:db8::10"},
		{"IP echo", "ipv4", leakPass, "tunnel 127.0.0.1, direct 127.0.0.2 (the tunnel shows the server)"},
		{"IP echo", "ipv6", leakLeak, "the tunnel shows the direct address ::1"},
	}
	for _, w := range want {
		r := rowOf(t, rows, w.check, w.fam)
		if r.Result != w.result || !strings.Contains(r.Detail, w.detail) {
			t.Errorf("%s/%s = %s %q, want %s containing %q", w.check, w.fam, r.Result, r.Detail, w.result, w.detail)
		}
	}
	for _, fam := range []string{"ipv4", "ipv6"} {
		if r := rowOf(t, rows, "PAC routes", fam); r.Result != leakPass || !strings.Contains(r.Detail, "all 1 names") || !strings.Contains(r.Detail, "1 --domain names not in DOMAINS_FILE") {
			t.Errorf("PAC row %+v", r)
		}
	}
	var out strings.Builder
	if err := reportLeakTest(&out, rows, false); err == nil || !strings.Contains(out.String(), "verdict: 2 leaks and 0 failures") {
		t.Errorf("report err %v:\n%s", err, out.String())
	}
}

// TestLeakProxyRows: with ENABLE_IPV6=true a degraded IPv6 proxy listener
// fails, as does a listener that does not answer.
func TestLeakProxyRows(t *testing.T) {
	cfg := config.Default()
	st := &statusView{Listeners: []listener{
		{Kind: "socks5", Addr: "127.0.0.1:1"},
		{Kind: "socks5", Addr: "[::1]:1082", Error: "bind: address family not supported"},
	}}
	rows := leakProxyRows(context.Background(), cfg, st, time.Second)
	if r := rowOf(t, rows, "socks5 proxy answers", "ipv6"); r.Result != leakFail || !strings.Contains(r.Detail, "degraded") {
		t.Errorf("degraded IPv6 listener: %+v", r)
	}
	if r := rowOf(t, rows, "socks5 proxy answers", "ipv4"); r.Result != leakFail {
		t.Errorf("closed port passed: %+v", r)
	}
	if r := rowOf(t, rows, "http proxy", "-"); r.Result != leakSkip {
		t.Errorf("no http listeners: %+v", r)
	}
	cfg.EnableIPv6 = false
	for _, r := range leakProxyRows(context.Background(), cfg, st, time.Second) {
		if r.Family == "ipv6" {
			t.Errorf("ENABLE_IPV6=false but IPv6 checked: %+v", r)
		}
	}
}

func TestLeakTestNoClient(t *testing.T) {
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.AdminAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg.DomainsFile = filepath.Join(t.TempDir(), "none.txt")
	_, err = runLeakTest(context.Background(), cfg, leakOptions{timeout: time.Second})
	var nc *errNoClient
	if !errors.As(err, &nc) {
		t.Fatalf("err = %v, want no client", err)
	}
}
