package pathsel

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// fakeServer answers attempts in virtual time: IPv4 connects in 5 ms; IPv6
// hangs (black-holed) until healed.
type fakeServer struct {
	v6ok     atomic.Bool
	mu       sync.Mutex
	attempts []string
	t0       time.Time
}

type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

func (s *fakeServer) attempt(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	s.mu.Lock()
	s.attempts = append(s.attempts, fmt.Sprintf("%v@%v", addr, time.Since(s.t0)))
	s.mu.Unlock()
	if addr.Addr().Is6() && !s.v6ok.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	select {
	case <-time.After(5 * time.Millisecond):
		return nopConn{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *fakeServer) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.attempts
	s.attempts, s.t0 = nil, time.Now()
	return out
}

// TestWireSkipsBrokenFamily is DESIGN §6 rule 2 in virtual time: the first
// dial pays the 250 ms delay, later ones go straight to IPv4, a probe heals
// IPv6 and the preference returns.
func TestWireSkipsBrokenFamily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
		v4 := netip.MustParseAddrPort("192.0.2.1:443")
		srv := &fakeServer{t0: time.Now()}
		mem := New(netx.PreferIPv6, Options{})
		h := mem.Wire(&netx.HappyEyeballs{Policy: netx.PreferIPv6, Attempt: srv.attempt})
		dial := func(h *netx.HappyEyeballs, want netip.AddrPort, attempts ...string) {
			t.Helper()
			srv.take() // restart the attempt clock
			_, got, err := h.DialAddrs(t.Context(), []netip.AddrPort{v4, v6})
			if err != nil || got != want {
				t.Fatalf("dial = %v, %v; want %v", got, err, want)
			}
			synctest.Wait()
			if log := fmt.Sprint(srv.take()); log != fmt.Sprint(attempts) {
				t.Errorf("attempts %s, want %v", log, attempts)
			}
		}
		dial(h, v4, "[2001:db8::1]:443@0s", "192.0.2.1:443@250ms")
		if !mem.Broken(IPv6) || mem.First() != IPv4 {
			t.Fatalf("after the outrun: Broken(ipv6) = %v, First = %v", mem.Broken(IPv6), mem.First())
		}
		dial(h, v4, "192.0.2.1:443@0s") // no 250 ms penalty, IPv6 not touched

		time.Sleep(DefaultProbeInterval)
		if !mem.NeedsProbe(IPv6) {
			t.Fatalf("NeedsProbe(ipv6) = false after %v", DefaultProbeInterval)
		}
		srv.v6ok.Store(true)
		probe := mem.Wire(&netx.HappyEyeballs{Policy: IPv6.Only(), Attempt: srv.attempt})
		dial(probe, v6, "[2001:db8::1]:443@0s")
		if mem.Broken(IPv6) || mem.First() != IPv6 {
			t.Fatalf("after the probe: Broken(ipv6) = %v, First = %v", mem.Broken(IPv6), mem.First())
		}
		dial(h, v6, "[2001:db8::1]:443@0s")
		if rtt, ok := mem.RTT(IPv6); !ok || rtt != 5*time.Millisecond {
			t.Errorf("RTT(ipv6) = %v, %v; want 5ms", rtt, ok)
		}
	})
}
