package pathsel

import (
	"errors"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// A family that works again no longer shows its old failure (status would
// print "ipv6 ok … <old error>").
func TestSuccessClearsLastError(t *testing.T) {
	m := New(netx.PreferIPv6, Options{})
	m.Failure(IPv6, netx.ErrOutrun)
	if got := m.Snapshot()[IPv6].LastError; got == "" {
		t.Fatal("a failure left no last error")
	}
	m.Success(IPv6, time.Millisecond)
	s := m.Snapshot()[IPv6]
	if s.State != OK || s.LastError != "" {
		t.Fatalf("after a success ipv6 is %v with last error %q, want ok and no error", s.State, s.LastError)
	}
}

// When both families are broken (the server is down, say), the family that
// last succeeded goes first, whatever the preference; with no success on
// either side, the preference decides.
func TestOrderBothBrokenPrefersLastSuccess(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0
	clock := func() time.Time { return now }
	tick := func() { now = now.Add(time.Second) }
	down := errors.New("connection refused")

	// prefer-ipv6, IPv6 black-holed (never worked), IPv4 worked, then IPv4
	// was refused during a server restart.
	m := New(netx.PreferIPv6, Options{Now: clock})
	m.Failure(IPv6, netx.ErrOutrun)
	tick()
	m.Success(IPv4, time.Millisecond)
	tick()
	m.Failure(IPv4, down)
	if !m.Broken(IPv4) || !m.Broken(IPv6) {
		t.Fatal("setup: both families should be broken")
	}
	if m.Order(true) || m.First() != IPv4 {
		t.Error("prefer-ipv6, both broken, only IPv4 ever worked: IPv6 goes first")
	}

	// prefer-ipv4, IPv4 worked long ago, IPv6 more recently: IPv6 first.
	m = New(netx.PreferIPv4, Options{Now: clock})
	m.Success(IPv4, time.Millisecond)
	tick()
	m.Success(IPv6, time.Millisecond)
	tick()
	m.Failure(IPv4, down)
	m.Failure(IPv6, down)
	if !m.Order(false) {
		t.Error("prefer-ipv4, both broken, IPv6 succeeded last: IPv4 goes first")
	}

	// Neither ever worked: the preference decides.
	for _, v6First := range []bool{false, true} {
		p := netx.PreferIPv4
		if v6First {
			p = netx.PreferIPv6
		}
		m = New(p, Options{Now: clock})
		m.Failure(IPv4, down)
		m.Failure(IPv6, down)
		if got := m.Order(v6First); got != v6First {
			t.Errorf("%v, both broken, neither ever worked: Order(%v) = %v, want the preference", p, v6First, got)
		}
	}
}
