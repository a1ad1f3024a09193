package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

var (
	socks4 = mustAddrPort("127.0.0.1", socksPort)
	http4  = mustAddrPort("127.0.0.1", httpPort)
)

// addrsOf lists every address of hosts, both families.
func addrsOf(hosts ...*testbed.Host) []string {
	var out []string
	for _, h := range hosts {
		for _, f := range []testbed.Family{testbed.IPv4, testbed.IPv6} {
			for _, a := range h.Addrs(f) {
				out = append(out, a.String())
			}
		}
	}
	return out
}

// wantVia fails the test unless the request succeeded and the destination
// saw one of the servers' addresses.
func wantVia(t *testing.T, what string, r result, err error, servers ...*testbed.Host) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if r.Status != 200 || !slices.Contains(addrsOf(servers...), seenFrom(r.Body)) {
		t.Errorf("%s: status %d reply %#x body %q; want 200 seen from one of %v", what, r.Status, r.Reply, r.Body, addrsOf(servers...))
	}
}

// wantFamily polls /status until the tunnel is up over fam.
func (c *client) wantFamily(fam string, timeout time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	var st *status
	err := poll(timeout, func() error {
		st = c.statusOrNil()
		if st == nil || !st.Tunnel.Up || st.Tunnel.Family != fam {
			return fmt.Errorf("status: %v", st)
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("tunnel family never became %s: %v", fam, err)
	}
	return time.Since(start)
}

// TestFallbackFamilyDropped: one family to the server black-holed with
// nftables DROP (connects time out); the first request already works over
// the other family and later ones do not pay the fallback delay again.
func TestFallbackFamilyDropped(t *testing.T) {
	tests := []struct {
		name            string
		drop            testbed.Family
		preferV6        bool
		works, fallback string // families
	}{
		{"ipv6 dropped, prefer ipv6", testbed.IPv6, true, "ipv4", "ipv6"},
		{"ipv4 dropped, prefer ipv4", testbed.IPv4, false, "ipv6", "ipv4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t, chain(testbed.DualStack, testbed.DualStack, testbed.DualStack))
			b.client.DropFamily(t, tt.drop, b.server)
			b.startServer(b.server, b.serverEnv())
			c := b.startClient(b.clientEnv(b.server).with(env{"PREFER_IPV6": fmt.Sprint(tt.preferV6)}))
			first, fromStart, later := measureFallback(t, c, 100)
			wantVia(t, "first request", first, nil, b.server)
			t.Logf("%s: first request TTFB %v (%v after the client process started); next %s",
				tt.name, first.TTFB.Round(time.Millisecond), fromStart.Round(time.Millisecond), later)
			if first.TTFB > 3*time.Second {
				t.Errorf("first request took %v, want < 3s", first.TTFB)
			}
			if later.total >= 100*250*time.Millisecond {
				t.Errorf("100 later requests took %v in all: each paid the 250 ms fallback", later.total)
			}
			st := c.status()
			if st.Tunnel.Family != tt.works || st.familyState(tt.fallback) != "broken" || st.familyState(tt.works) != "ok" {
				t.Errorf("status %v; want tunnel on %s, %s ok, %s broken", st, tt.works, tt.works, tt.fallback)
			}
			if n := c.metric("autovpn_tunnel_connects_total", map[string]string{"family": tt.works, "result": "ok"}); n != 1 {
				t.Errorf("%v successful %s tunnel connects, want 1 (one tunnel carries all 101 requests)", n, tt.works)
			}
			if n := c.metric("autovpn_tunnel_connects_total", map[string]string{"family": tt.fallback, "result": "ok"}); n != 0 {
				t.Errorf("%v successful %s tunnel connects through a black hole", n, tt.fallback)
			}
		})
	}
}

// TestSingleFamilyPaths: links that carry one family only.
func TestSingleFamilyPaths(t *testing.T) {
	d, v4, v6 := testbed.DualStack, testbed.IPv4Only, testbed.IPv6Only
	tests := []struct {
		name   string
		spec   testbed.Spec
		client env
		family string
	}{
		{"server ipv6-only", chain(d, v6, v6), env{"SERVER_IP": ""}, "ipv6"},
		{"client ipv4-only, prefer ipv6", chain(v4, d, d), env{"PREFER_IPV6": "true"}, "ipv4"},
		{"client ipv6-only", chain(v6, d, d), env{}, "ipv6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t, tt.spec)
			b.startServer(b.server, b.serverEnv())
			c := b.startClient(b.clientEnv(b.server).with(tt.client))
			c.waitListening()
			r, err := socksGet(b.client, socks4, fmt.Sprintf("%s:%d", dualName, webPort))
			wantVia(t, "SOCKS5 "+dualName, r, err, b.server)
			t.Logf("%s: first request TTFB %v (%v after start)", tt.name, r.TTFB.Round(time.Millisecond), time.Since(c.started).Round(time.Millisecond))
			if st := c.status(); st.Tunnel.Family != tt.family {
				t.Errorf("status %v, want tunnel on %s", st, tt.family)
			}
		})
	}
}

// TestPreferIPv6Honoured: with both families working the tunnel runs on
// the preferred one.
func TestPreferIPv6Honoured(t *testing.T) {
	for _, tt := range []struct{ prefer, want string }{{"", "ipv4"}, {"true", "ipv6"}, {"false", "ipv4"}} {
		t.Run("PREFER_IPV6="+tt.prefer, func(t *testing.T) {
			b := newBed(t, chain(testbed.DualStack, testbed.DualStack, testbed.DualStack))
			b.startServer(b.server, b.serverEnv())
			c := b.startClient(b.clientEnv(b.server).with(env{"PREFER_IPV6": tt.prefer}))
			c.waitReady(10 * time.Second)
			r, err := socksGet(b.client, socks4, fmt.Sprintf("%s:%d", dualName, webPort))
			wantVia(t, "SOCKS5", r, err, b.server)
			if st := c.status(); st.Tunnel.Family != tt.want {
				t.Errorf("status %v, want tunnel on %s", st, tt.want)
			}
			if n := c.metric("autovpn_happy_eyeballs_wins_total", map[string]string{"family": tt.want}); n < 1 {
				t.Errorf("autovpn_happy_eyeballs_wins_total{family=%q} = %v, want ≥ 1", tt.want, n)
			}
			// The binary runs its data path on one P (cli.OneProc)
			// unless GOMAXPROCS is set.
			if os.Getenv("GOMAXPROCS") == "" {
				if n := c.metric("go_sched_gomaxprocs_threads", nil); n != 1 {
					t.Errorf("client go_sched_gomaxprocs_threads = %v, want 1", n)
				}
			}
		})
	}
}

// TestFamilyHeals: the preferred family, black-holed at start, is probed
// in the background and used again once it heals.
func TestFamilyHeals(t *testing.T) {
	t.Parallel() // mostly waiting for the re-probe
	b := newBed(t, chain(testbed.DualStack, testbed.DualStack, testbed.DualStack))
	drop := b.client.DropFamily(t, testbed.IPv6, b.server)
	b.startServer(b.server, b.serverEnv())
	c := b.startClient(b.clientEnv(b.server).with(env{"PREFER_IPV6": "true"}))
	c.waitReady(10 * time.Second)
	if st := c.status(); st.Tunnel.Family != "ipv4" || st.familyState("ipv6") != "broken" {
		t.Fatalf("status %v, want ipv4 with ipv6 broken", st)
	}
	drop.Heal()
	// KEEPALIVE_INTERVAL=1: the re-probe is due every second, so 10 s is
	// generous.
	took := c.wantFamily("ipv6", 10*time.Second)
	t.Logf("IPv6 used again %v after it healed", took.Round(time.Millisecond))
	r, err := socksGet(b.client, socks4, fmt.Sprintf("%s:%d", dualName, webPort))
	wantVia(t, "SOCKS5 after heal", r, err, b.server)
}

// TestNoIPv6RouteAtServer: a name with only AAAA through a server that has
// no IPv6 route fails fast with a clear result.
func TestNoIPv6RouteAtServer(t *testing.T) {
	v4 := testbed.IPv4Only
	b := newBed(t, chain(testbed.DualStack, v4, v4))
	b.startServer(b.server, b.serverEnv())
	c := b.startClient(b.clientEnv(b.server))
	c.waitReady(10 * time.Second)
	target := fmt.Sprintf("%s:%d", aaaaOnlyName, webPort)

	start := time.Now()
	r, err := socksGet(b.client, socks4, target)
	took := time.Since(start)
	if err != nil || r.Reply != 0x04 {
		t.Errorf("SOCKS5 %s: reply %#x, %v; want 0x04 (host unreachable)", target, r.Reply, err)
	}
	if took > 3*time.Second {
		t.Errorf("SOCKS5 %s failed after %v, want fast (< 3 s)", target, took)
	}
	f, err := httpForward(b.client, http4, "http://"+target+"/")
	t.Logf("SOCKS5 reply %#x after %v; HTTP forward: %d %q", r.Reply, took.Round(time.Millisecond), f.Status, f.Body)
	if err != nil || f.Status != 502 || !containsFold(f.Body, "no IPv6 route at server") {
		t.Errorf("HTTP forward %s: %d %q %v; want 502 saying \"no IPv6 route at server\"", target, f.Status, f.Body, err)
	}
	cn, err := httpConnect(b.client, http4, target)
	if err != nil || cn.Status != 502 || !containsFold(cn.Body, "no IPv6 route at server") {
		t.Errorf("HTTP CONNECT %s: %d %q %v; want 502 saying \"no IPv6 route at server\"", target, cn.Status, cn.Body, err)
	}
	// The same server still reaches the IPv4 side of a dual-stack name.
	ok, err := socksGet(b.client, socks4, fmt.Sprintf("%s:%d", dualName, webPort))
	wantVia(t, "SOCKS5 "+dualName, ok, err, b.server)
}

// TestIPv4OnlySendsNoIPv6: with ENABLE_IPV6=false not one IPv6 packet
// leaves the client namespace (neighbour discovery and MLD, link-local or
// multicast, excluded) while every kind of request succeeds.
func TestIPv4OnlySendsNoIPv6(t *testing.T) {
	b := newBed(t, chain(testbed.DualStack, testbed.DualStack, testbed.DualStack))
	serveUDPEcho(t, b.server, fmt.Sprintf("127.0.0.1:%d", restrictPort))
	b.startServer(b.server, b.serverEnv())
	capture := b.client.Capture(t, "ip6 and not src net fe80::/10 and not dst net ff00::/8")
	c := b.startClient(b.clientEnv(b.server).with(env{"ENABLE_IPV6": "false", "PREFER_IPV6": "true"}))
	c.waitReady(10 * time.Second)
	web := fmt.Sprintf("%s:%d", dualName, webPort)
	r, err := socksGet(b.client, socks4, web)
	wantVia(t, "SOCKS5 "+web, r, err, b.server)
	f, err := httpForward(b.client, http4, "http://"+web+"/")
	wantVia(t, "HTTP forward", f, err, b.server)
	cn, err := httpConnect(b.client, http4, web)
	wantVia(t, "HTTP CONNECT", cn, err, b.server)
	if got, err := udpRoundTrip(b.client, mustAddrPort("127.0.0.1", udpPort), "wg"); err != nil || got != "echo:wg" {
		t.Errorf("UDP forward: %q %v, want echo:wg", got, err)
	}
	st := c.status()
	// Positive control: one IPv6 datagram of our own, to port 9.
	if c, err := dialIn(b.client, "udp", netip.AddrPortFrom(b.server.V6, 9).String(), time.Second); err != nil {
		t.Fatal(err)
	} else {
		c.Write([]byte("control"))
		c.Close()
	}
	// The control itself brings neighbour discovery and an ICMP error.
	fromClient := "(" + addrFilter("src", b.client) + ") and not udp port 9 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
	if n := capture.Count(fromClient); n != 0 {
		t.Errorf("%d IPv6 packets from the client with ENABLE_IPV6=false:\n%s", n, joinLines(capture.Stop()))
	}
	if n := capture.Count("tcp"); n != 0 {
		t.Errorf("%d IPv6 TCP packets in the client namespace with ENABLE_IPV6=false:\n%s", n, joinLines(capture.Stop()))
	}
	if capture.Count("udp port 9") == 0 {
		t.Error("positive control: an IPv6 datagram sent on purpose was not captured, so zero proves nothing")
	}
	if st.Tunnel.Family != "ipv4" || st.familyState("ipv6") != "disabled" {
		t.Errorf("status %v, want ipv4 with ipv6 disabled", st)
	}
	for _, l := range st.Listeners {
		if a, err := netip.ParseAddrPort(l.Addr); err == nil && a.Addr().Is6() && l.Error == "" {
			t.Errorf("listener %s on %s with ENABLE_IPV6=false", l.Kind, l.Addr)
		}
	}
}
