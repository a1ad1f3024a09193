package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// poolSpec is a client and a destination behind a router with two
// servers, "server" and "serverb", on dual-stack links.
func poolSpec() testbed.Spec {
	d := testbed.DualStack
	return testbed.Spec{Links: []testbed.Link{
		{A: "client", B: "router", Stack: d}, {A: "router", B: "server", Stack: d},
		{A: "router", B: "serverb", Stack: d}, {A: "router", B: "dest", Stack: d},
	}}
}

// TestServerPoolFailover: SERVER_IP and SERVER_IP_V6 list two servers;
// when the one in use goes away, new requests succeed through the other
// within 5 s (DESIGN §9), whether its process dies (connections reset) or
// it silently disappears from the network (missed keepalives).
func TestServerPoolFailover(t *testing.T) {
	tests := []struct {
		name string
		fail func(t *testing.T, b *bed, active *testbed.Host, p *proc)
	}{
		{"process killed", func(_ *testing.T, _ *bed, _ *testbed.Host, p *proc) { p.Kill() }},
		{"black-holed", func(t *testing.T, b *bed, active *testbed.Host, _ *proc) {
			router := b.Host("router")
			router.DropFamily(t, testbed.IPv4, active)
			router.DropFamily(t, testbed.IPv6, active)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t, poolSpec())
			servers := []*testbed.Host{b.server, b.Host("serverb")}
			procs := map[*testbed.Host]*proc{}
			for _, s := range servers {
				procs[s] = b.startServer(s, b.serverEnv())
			}
			c := b.startClient(b.clientEnv(servers...))
			c.waitReady(10 * time.Second)
			active, other := whichServer(t, c.status(), servers)
			target := fmt.Sprintf("%s:%d", dualName, webPort)
			r, err := socksGet(b.client, socks4, target)
			wantVia(t, "before failover", r, err, active)

			tt.fail(t, b, active, procs[active])
			start := time.Now()
			err = poll(10*time.Second, func() error {
				r, err = socksGet(b.client, socks4, target)
				if err == nil && r.Status != 200 {
					err = fmt.Errorf("reply %#x status %d %q", r.Reply, r.Status, r.Body)
				}
				return err
			})
			took := time.Since(start)
			t.Logf("%s: first successful request %v after the active server %s went away", tt.name, took.Round(time.Millisecond), active.Name)
			wantVia(t, "after failover", r, err, other)
			if took > 5*time.Second {
				t.Errorf("failover took %v, want ≤ 5 s", took)
			}
		})
	}
}

// whichServer returns the server the tunnel runs to, and the other one.
func whichServer(t *testing.T, st *status, servers []*testbed.Host) (active, other *testbed.Host) {
	t.Helper()
	remote, err := netip.ParseAddrPort(st.Tunnel.Remote)
	if err != nil {
		t.Fatalf("status remote %q: %v", st.Tunnel.Remote, err)
	}
	for i, s := range servers {
		if slices.Contains(addrsOf(s), remote.Addr().String()) {
			return s, servers[1-i]
		}
	}
	t.Fatalf("status remote %s is none of the servers %v", remote, addrsOf(servers...))
	return nil, nil
}
