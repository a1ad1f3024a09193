package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// leakSpec is client–router–server–dest plus a direct client–dest link:
// the client has its own IPv4 and IPv6 routes to the destination, so a
// leak is possible and would show.
func leakSpec() testbed.Spec {
	s := chain(testbed.DualStack, testbed.DualStack, testbed.DualStack)
	s.Links = append(s.Links, testbed.Link{A: "client", B: "dest", Stack: testbed.DualStack})
	return s
}

// leakMode is one way of running the client for the leak suite.
type leakMode struct {
	name      string
	client    env
	blackhole bool   // drop IPv6 between client and server
	family    string // tunnel family expected
	v6        bool   // IPv6 destinations are expected to work
}

var leakModes = []leakMode{
	{"dual-stack, prefer ipv6", env{"PREFER_IPV6": "true"}, false, "ipv6", true},
	{"ipv6 to server black-holed", env{"PREFER_IPV6": "true"}, true, "ipv4", true},
	{"ENABLE_IPV6=false", env{"ENABLE_IPV6": "false"}, false, "ipv4", false},
}

// TestNoLeaks is DESIGN §6 rule 6: through SOCKS5 (names and literals),
// HTTP forward and CONNECT, the UDP forward and the PAC's proxies, on both
// listener families, not one packet from the client's own addresses
// reaches the destination and not one DNS query for a routed name leaves
// the client, while every request succeeds through the server.
func TestNoLeaks(t *testing.T) {
	for _, m := range leakModes {
		t.Run(m.name, func(t *testing.T) {
			b := newBed(t, leakSpec())
			if out := b.client.Run(t, "ip", "route", "get", b.dest.V4.String()); !strings.Contains(out, "dev l3-dest") {
				t.Fatalf("client's route to %s is not the direct link: %s", b.dest.V4, out)
			}
			serveUDPEcho(t, b.server, fmt.Sprintf("127.0.0.1:%d", restrictPort))
			if m.blackhole {
				b.client.DropFamily(t, testbed.IPv6, b.server)
			}
			b.startServer(b.server, b.serverEnv())
			fromClient := srcFilter(b.client)
			atDest := b.dest.Capture(t, fromClient)
			fromClientToDest := b.client.Capture(t, dstFilter(b.dest))
			c := b.startClient(b.clientEnv(b.server).with(m.client).with(env{"DOMAINS_FILE": writeDomains(t)}))
			c.waitReady(10 * time.Second)
			if st := c.status(); st.Tunnel.Family != m.family {
				t.Errorf("status %v, want tunnel on %s", st, m.family)
			}
			n := runLeakRequests(t, b, m)
			t.Run("pac", func(t *testing.T) { pacRequests(t, b, m) })
			positiveControls(t, b)

			// Port 81 and DNS are the positive controls (DNS leaks are
			// judged by name, from the query log); neighbour discovery
			// is not traffic.
			notCtl := "not tcp port 81 and not port 53 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
			if k := atDest.Count(notCtl); k != 0 {
				t.Errorf("LEAK: %d packets from the client's own addresses reached the destination:\n%s", k, joinLines(atDest.Stop()))
			}
			if k := fromClientToDest.Count(notCtl); k != 0 {
				t.Errorf("LEAK: %d packets left the client for the destination outside the tunnel:\n%s", k, joinLines(fromClientToDest.Stop()))
			}
			for _, f := range []string{"ip and tcp port 81", "ip6 and tcp port 81"} {
				if atDest.Count(f) == 0 || fromClientToDest.Count(f) == 0 {
					t.Errorf("positive control: the direct connection (%s) was not captured, so zero proves nothing", f)
				}
			}
			checkDNS(t, b)
			t.Logf("%s: %d requests through the tunnel, 0 leaked packets, 0 leaked queries", m.name, n)
		})
	}
}

// srcFilter matches packets from h's global addresses.
func srcFilter(h *testbed.Host) string { return addrFilter("src", h) }

// dstFilter matches packets to h's global addresses.
func dstFilter(h *testbed.Host) string { return addrFilter("dst", h) }

func addrFilter(dir string, h *testbed.Host) string {
	var parts []string
	for _, a := range h.Addrs(testbed.IPv4) {
		parts = append(parts, "ip "+dir+" host "+a.String())
	}
	for _, a := range h.Addrs(testbed.IPv6) {
		parts = append(parts, "ip6 "+dir+" host "+a.String())
	}
	return strings.Join(parts, " or ")
}

// runLeakRequests makes every kind of request through the client and
// checks that each succeeds through the server; it returns their number.
func runLeakRequests(t *testing.T, b *bed, m leakMode) int {
	t.Helper()
	v4lit := netip.AddrPortFrom(b.dest.V4, webPort).String()
	v6lit := netip.AddrPortFrom(b.dest.V6, webPort).String()
	web := func(host string) string { return fmt.Sprintf("%s:%d", host, webPort) }
	type req struct {
		what string
		v6   bool // needs IPv6 at the server's side
		do   func() (result, error)
	}
	var reqs []req
	for _, lst := range listeners(m) {
		socks, hp := netip.AddrPortFrom(lst, socksPort), netip.AddrPortFrom(lst, httpPort)
		for _, tg := range []struct {
			target string
			v6     bool
		}{{web(dualName), false}, {web(v4Name), false}, {web(v6Name), true}, {v4lit, false}, {v6lit, true}} {
			reqs = append(reqs,
				req{"SOCKS5 " + socks.String() + " → " + tg.target, tg.v6, func() (result, error) { return socksGet(b.client, socks, tg.target) }},
				req{"HTTP forward " + hp.String() + " → " + tg.target, tg.v6, func() (result, error) { return httpForward(b.client, hp, "http://"+tg.target+"/") }},
				req{"HTTP CONNECT " + hp.String() + " → " + tg.target, tg.v6, func() (result, error) { return httpConnect(b.client, hp, tg.target) }})
		}
	}
	for _, r := range reqs {
		res, err := r.do()
		if r.v6 && !m.v6 {
			t.Logf("%s with IPv6 disabled: status %d reply %#x %q %v (not required to work)", r.what, res.Status, res.Reply, strings.TrimSpace(res.Body), err)
			continue
		}
		wantVia(t, r.what, res, err, b.server)
	}
	for _, lst := range listeners(m) {
		fw := netip.AddrPortFrom(lst, udpPort)
		if got, err := udpRoundTrip(b.client, fw, "wg-"+lst.String()); err != nil || got != "echo:wg-"+lst.String() {
			t.Errorf("UDP forward %s: %q %v, want the server's echo", fw, got, err)
		}
	}
	return len(reqs) + len(listeners(m))
}

// listeners are the client's listen addresses in mode m.
func listeners(m leakMode) []netip.Addr {
	l := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	if m.v6 {
		l = append(l, netip.IPv6Loopback())
	}
	return l
}

// positiveControls leak on purpose, on port 81 and for ctlName, to prove
// that the captures and the query log would see a leak.
func positiveControls(t *testing.T, b *bed) {
	t.Helper()
	for _, a := range []netip.Addr{b.dest.V4, b.dest.V6} {
		c, err := dialIn(b.client, "tcp", netip.AddrPortFrom(a, controlPort).String(), 3*time.Second)
		if err != nil {
			t.Fatalf("positive control: direct dial to %s: %v (the client has no direct route?)", a, err)
		}
		c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := b.client.Resolver().LookupNetIP(ctx, "ip", ctlName); err != nil {
		t.Fatalf("positive control: direct lookup of %s: %v", ctlName, err)
	}
}

// checkDNS: the destination's dnsmasq heard nothing from the client but
// the control name, and heard the routed names from the server.
func checkDNS(t *testing.T, b *bed) {
	t.Helper()
	client := map[string]bool{}
	for _, a := range addrsOf(b.client) {
		client[a] = true
	}
	var ctl int
	for _, q := range b.dns.Queries() {
		switch {
		case client[q.From] && strings.EqualFold(q.Name, ctlName):
			ctl++
		case client[q.From]:
			t.Errorf("LEAK: the client asked the destination's DNS %s %s", q.Type, q.Name)
		}
	}
	if ctl == 0 {
		t.Error("positive control: the client's direct query for " + ctlName + " was not logged, so zero proves nothing")
	}
	if len(b.dns.Asked(dualName)) == 0 {
		t.Errorf("the server never asked for %s: names were not resolved at the server (queries: %+v)", dualName, b.dns.Queries())
	}
}

// writeDomains writes the routed domain list for the client's PAC.
func writeDomains(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "domains.txt")
	if err := os.WriteFile(p, []byte("routed.test\n*.routed.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
