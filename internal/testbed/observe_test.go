package testbed_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

func TestCaptureCountsByFamily(t *testing.T) {
	c, s := dualPair(t)
	capture := s.Capture(t, "tcp port 7000")
	for range 3 {
		if err := dialEcho(c, s.V4, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	lines := capture.Stop()
	if len(lines) == 0 {
		t.Fatal("captured nothing")
	}
	// Three handshakes: at least three SYNs to the server's IPv4 address.
	if got := capture.Count("dst host " + s.V4.String() + " and tcp[tcpflags] == tcp-syn"); got != 3 {
		t.Errorf("%d SYNs to %s, want 3:\n%s", got, s.V4, strings.Join(lines, "\n"))
		t.Log(capture.Stderr())
	}
	if got := capture.Count("ip6"); got != 0 {
		t.Errorf("%d IPv6 packets on port 7000, want 0", got)
	}
}

func TestStartDNSAnswersAndLogs(t *testing.T) {
	n := testbed.New(t, testbed.Chain(testbed.DualStack, "client", "dns"))
	c, d := n.Host("client"), n.Host("dns")
	v4, v6 := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8:99::10")
	srv := testbed.StartDNS(t, d,
		testbed.DNSRecord{Name: "a.test", Addrs: []netip.Addr{v4, v6}},
		testbed.DNSRecord{Name: "www.test", CNAME: "a.test"})
	if srv.Addr.Addr() != d.V4 || srv.Addr.Port() != 53 {
		t.Errorf("DNS.Addr = %s, want %s:53", srv.Addr, d.V4)
	}
	for _, q := range []struct{ typ, want string }{{"A", v4.String()}, {"AAAA", v6.String()}} {
		out := c.Run(t, "dig", "+short", "+time=2", "+tries=1", "@"+d.V6.String(), "a.test", q.typ)
		if strings.TrimSpace(out) != q.want {
			t.Errorf("dig a.test %s = %q, want %s", q.typ, out, q.want)
		}
	}
	// The Go resolver of the client namespace, through WriteResolvConf.
	c.WriteResolvConf(t, d.V4)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := c.Resolver().LookupNetIP(ctx, "ip", "www.test")
	if err != nil {
		t.Fatalf("lookup www.test: %v", err)
	}
	if !slices.Contains(got, v4) || !slices.Contains(got, v6) {
		t.Errorf("www.test = %v, want %s and %s", got, v4, v6)
	}
	asked := srv.Asked("a.test")
	if len(asked) != 2 || asked[0].Type != "A" || asked[1].Type != "AAAA" || asked[0].From != c.V6.String() {
		t.Errorf("queries for a.test = %+v, want A then AAAA from %s", asked, c.V6)
	}
	if len(srv.Asked("www.test")) == 0 {
		t.Errorf("no query for www.test logged; log: %+v", srv.Queries())
	}
	if q := srv.Asked("other.test"); len(q) != 0 {
		t.Errorf("queries for a name never asked: %+v", q)
	}
}

func TestStartDNSOnLoopback(t *testing.T) {
	testbed.Available(t)
	srv := testbed.StartDNS(t, nil, testbed.DNSRecord{Name: "b.test", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.20")}})
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Addr.String())
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := r.LookupNetIP(ctx, "ip4", "b.test")
	if err != nil || len(got) != 1 || got[0].String() != "192.0.2.20" {
		t.Fatalf("lookup b.test on %s = %v, %v; want 192.0.2.20", srv.Addr, got, err)
	}
	if _, err := r.LookupNetIP(ctx, "ip4", "missing.test"); err == nil {
		t.Error("lookup missing.test succeeded; want NXDOMAIN")
	}
	if len(srv.Asked("missing.test")) != 1 {
		t.Errorf("queries: %+v, want one for missing.test", srv.Queries())
	}
}

func TestDelayRelay(t *testing.T) {
	c, s := dualPair(t)
	const up, down = 40 * time.Millisecond, 60 * time.Millisecond
	r := testbed.DelayRelay(t, c, testbed.RelayConfig{
		Listen: "[::1]:0", Target: netip.AddrPortFrom(s.V6, 7000), Up: up, Down: down,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := c.DialContext(ctx, "tcp", r.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	msg := []byte("through the relay")
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn) // the echo server closes after one reply
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through relay = %q, %v; want %q", got, err, msg)
	}
	// A lower bound only: the relay holds each chunk at least that long.
	if rtt := time.Since(start); rtt < up+down {
		t.Errorf("round trip %v through the relay, want at least %v", rtt, up+down)
	}
}
