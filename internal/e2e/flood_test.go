package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// TestFloodFromAnotherHost: an attacker namespace holds a slow-loris and
// half-open flood against the server over both families while the real
// client, in its own namespace, keeps getting every request through
// (DESIGN §7; issue 6).
func TestFloodFromAnotherHost(t *testing.T) {
	d := testbed.DualStack
	b := newBed(t, testbed.Spec{Links: []testbed.Link{
		{A: "client", B: "router", Stack: d}, {A: "attacker", B: "router", Stack: d},
		{A: "router", B: "server", Stack: d}, {A: "server", B: "dest", Stack: d},
	}})
	b.startServer(b.server, b.serverEnv())
	c := b.startClient(b.clientEnv(b.server))
	c.waitReady(10 * time.Second)

	attacker := b.Host("attacker")
	var flood []net.Conn
	defer func() {
		for _, fc := range flood {
			fc.Close()
		}
	}()
	held := 0
	for i := 0; i < 600; i++ {
		addr := netip.AddrPortFrom(b.server.V4, tunnelPort)
		if i%2 == 1 {
			addr = netip.AddrPortFrom(b.server.V6, tunnelPort)
		}
		fc, err := dialIn(attacker, "tcp", addr.String(), 2*time.Second)
		if err != nil {
			continue
		}
		flood = append(flood, fc)
		if i%3 == 0 { // slow-loris: headers that never end
			fmt.Fprintf(fc, "GET /%s/v1 HTTP/1.1\r\nHost: x\r\nX-Slow: ", b.prefix)
		}
		held++
	}
	if held == 0 {
		t.Fatal("the flood could not connect at all: the test proves nothing")
	}
	target := fmt.Sprintf("%s:%d", dualName, webPort)
	for i := 0; i < 30; i++ {
		r, err := socksGet(b.client, socks4, target)
		if err != nil || r.Status != 200 {
			t.Fatalf("request %d during the flood (%d flood connections opened): %v %+v", i, held, err, r)
		}
	}
	// A new tunnel from the legitimate host is still accepted mid-flood.
	c2 := b.startClient(b.clientEnv(b.server).with(env{"SOCKS5_PORT": "1092", "HTTP_PORT": "8091", "WSTUNNEL_PORT": "1091", "ADMIN_ADDR": "127.0.0.1:8099"}))
	_ = c2
	err := poll(10*time.Second, func() error {
		r, err := socksGet(b.client, netip.MustParseAddrPort("127.0.0.1:1092"), target)
		if err == nil && r.Status != 200 {
			err = fmt.Errorf("status %d", r.Status)
		}
		return err
	})
	if err != nil {
		t.Fatalf("a new client during the flood: %v", err)
	}
	t.Logf("flood: %d connections opened from the attacker (a third slow-loris); 30 requests and a new tunnel from the client all succeeded", held)
}
