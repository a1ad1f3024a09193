package netx

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

var (
	errRefused     = &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}
	errNetUnreach  = &os.SyscallError{Syscall: "connect", Err: syscall.ENETUNREACH}
	errHostUnreach = &os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}
	hang           = outcome{hang: true}
)

func ok(after time.Duration) outcome { return outcome{after: after} }

func TestDialAddrsTiming(t *testing.T) {
	tests := []struct {
		name          string
		policy        Policy
		delay         time.Duration
		order         func(bool) bool
		addrs         []netip.AddrPort
		outcomes      map[netip.AddrPort]outcome
		wantAttempts  []string
		wantWinner    netip.AddrPort
		wantCancelled []string
		wantReports   []string
	}{{
		name: "next attempt 250ms after a hanging one", policy: PreferIPv6,
		addrs:         []netip.AddrPort{v4a, v6a},
		outcomes:      map[netip.AddrPort]outcome{v6a: hang, v4a: ok(10 * ms)},
		wantAttempts:  []string{"[2001:db8::1]:443@0s", "192.0.2.1:443@250ms"},
		wantWinner:    v4a,
		wantCancelled: []string{"[2001:db8::1]:443@260ms"},
		wantReports:   []string{"[2001:db8::1]:443 260ms outrun", "192.0.2.1:443 10ms won"},
	}, {
		name: "next attempt at once when the first fails", policy: PreferIPv6,
		addrs:        []netip.AddrPort{v6a, v4a},
		outcomes:     map[netip.AddrPort]outcome{v6a: {err: errRefused}, v4a: ok(10 * ms)},
		wantAttempts: []string{"[2001:db8::1]:443@0s", "192.0.2.1:443@0s"},
		wantWinner:   v4a,
		wantReports:  []string{"[2001:db8::1]:443 0s connect: connection refused", "192.0.2.1:443 10ms won"},
	}, {
		name: "next attempt when the first fails after 100ms", policy: PreferIPv6,
		addrs:        []netip.AddrPort{v6a, v4a},
		outcomes:     map[netip.AddrPort]outcome{v6a: {after: 100 * ms, err: errRefused}, v4a: ok(10 * ms)},
		wantAttempts: []string{"[2001:db8::1]:443@0s", "192.0.2.1:443@100ms"},
		wantWinner:   v4a,
		wantReports:  []string{"[2001:db8::1]:443 100ms connect: connection refused", "192.0.2.1:443 10ms won"},
	}, {
		name: "prefer-ipv4 interleaves families", policy: PreferIPv4,
		addrs:    []netip.AddrPort{v6a, v6b, v4a, v4b},
		outcomes: map[netip.AddrPort]outcome{v4a: hang, v6a: hang, v4b: hang, v6b: ok(1 * ms)},
		wantAttempts: []string{"192.0.2.1:443@0s", "[2001:db8::1]:443@250ms",
			"192.0.2.2:443@500ms", "[2001:db8::2]:443@750ms"},
		wantWinner: v6b,
		wantCancelled: []string{"192.0.2.1:443@751ms", "192.0.2.2:443@751ms",
			"[2001:db8::1]:443@751ms"},
		// v4b ran 251ms ≥ Delay: outrun; v6a is the winner's family: not reported.
		wantReports: []string{"192.0.2.1:443 751ms outrun", "192.0.2.2:443 251ms outrun",
			"[2001:db8::2]:443 1ms won"},
	}, {
		name: "a loser shorter than Delay is not reported", policy: PreferIPv6, delay: 100 * ms,
		addrs:         []netip.AddrPort{v6a, v4a},
		outcomes:      map[netip.AddrPort]outcome{v6a: {after: 150 * ms}, v4a: hang},
		wantAttempts:  []string{"[2001:db8::1]:443@0s", "192.0.2.1:443@100ms"},
		wantWinner:    v6a,
		wantCancelled: []string{"192.0.2.1:443@150ms"},
		wantReports:   []string{"[2001:db8::1]:443 150ms won"},
	}, {
		name: "ipv4-only never touches IPv6", policy: IPv4Only,
		addrs:        []netip.AddrPort{v6a, v4a, v6b},
		outcomes:     map[netip.AddrPort]outcome{v4a: ok(0)},
		wantAttempts: []string{"192.0.2.1:443@0s"},
		wantWinner:   v4a,
		wantReports:  []string{"192.0.2.1:443 0s won"},
	}, {
		name: "ipv6-only never touches IPv4", policy: IPv6Only,
		addrs:        []netip.AddrPort{v4a, v6a},
		outcomes:     map[netip.AddrPort]outcome{v6a: ok(0)},
		wantAttempts: []string{"[2001:db8::1]:443@0s"},
		wantWinner:   v6a,
		wantReports:  []string{"[2001:db8::1]:443 0s won"},
	}, {
		name: "duplicates are tried once", policy: PreferIPv4,
		addrs:        []netip.AddrPort{v4a, v4a, v4b},
		outcomes:     map[netip.AddrPort]outcome{v4a: {err: errRefused}, v4b: ok(0)},
		wantAttempts: []string{"192.0.2.1:443@0s", "192.0.2.2:443@0s"},
		wantWinner:   v4b,
		wantReports:  []string{"192.0.2.1:443 0s connect: connection refused", "192.0.2.2:443 0s won"},
	}, {
		name: "Order hook puts IPv4 first under prefer-ipv6", policy: PreferIPv6,
		order:        func(v6First bool) bool { return false },
		addrs:        []netip.AddrPort{v6a, v4a},
		outcomes:     map[netip.AddrPort]outcome{v4a: ok(1 * ms), v6a: hang},
		wantAttempts: []string{"192.0.2.1:443@0s"},
		wantWinner:   v4a,
		wantReports:  []string{"192.0.2.1:443 1ms won"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newFakeNet(tt.outcomes)
				h := n.dialer(tt.policy)
				h.Delay, h.Order = tt.delay, tt.order
				c, addr, err := h.DialAddrs(t.Context(), tt.addrs)
				if err != nil {
					t.Fatalf("DialAddrs: %v", err)
				}
				if addr != tt.wantWinner || c.(*fakeConn).addr != tt.wantWinner {
					t.Errorf("winner %v (conn to %v), want %v", addr, c.(*fakeConn).addr, tt.wantWinner)
				}
				synctest.Wait() // let cancelled attempts record themselves
				cancelled := n.cancelLog()
				slices.Sort(cancelled)
				checkStrings(t, "attempts", n.attemptLog(), tt.wantAttempts)
				checkStrings(t, "cancelled", cancelled, tt.wantCancelled)
				checkStrings(t, "reports", n.reports, tt.wantReports)
			})
		})
	}
}

func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestDialAddrsClosesLateWinner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newFakeNet(map[netip.AddrPort]outcome{
			v6a: {after: 300 * ms, ignoreCtx: true}, // connects after v4a won
			v4a: ok(10 * ms),
		})
		c, addr, err := n.dialer(PreferIPv6).DialAddrs(t.Context(), []netip.AddrPort{v6a, v4a})
		if err != nil || addr != v4a {
			t.Fatalf("DialAddrs = %v, %v; want %v", addr, err, v4a)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if late := n.conns[v6a]; late == nil || !late.closed.Load() {
			t.Errorf("late connection to %v was not closed", v6a)
		}
		if c.(*fakeConn).closed.Load() {
			t.Errorf("winning connection was closed")
		}
	})
}

func TestDialAddrsAllFail(t *testing.T) {
	tests := []struct {
		name     string
		outcomes map[netip.AddrPort]outcome
		wantErr  string
		wantCode Code
		wantIs   error
	}{{
		name:     "refused beats unreachable",
		outcomes: map[netip.AddrPort]outcome{v6a: {err: errNetUnreach}, v4a: {err: errRefused}},
		wantErr: "dial tcp 192.0.2.1:443: connect: connection refused " +
			"(also failed: [2001:db8::1]:443: connect: network is unreachable)",
		wantCode: Refused, wantIs: syscall.ECONNREFUSED,
	}, {
		name:     "equal causes: the preferred family's error",
		outcomes: map[netip.AddrPort]outcome{v6a: {after: 5 * ms, err: errHostUnreach}, v4a: {err: errHostUnreach}},
		wantErr: "dial tcp [2001:db8::1]:443: connect: no route to host " +
			"(also failed: 192.0.2.1:443: connect: no route to host)",
		wantCode: HostUnreachable, wantIs: syscall.EHOSTUNREACH,
	}, {
		name: "an application error beats refused",
		outcomes: map[netip.AddrPort]outcome{v6a: {err: errRefused},
			v4a: {err: errors.New("websocket handshake: 404 Not Found")}},
		wantErr: "dial tcp 192.0.2.1:443: websocket handshake: 404 Not Found " +
			"(also failed: [2001:db8::1]:443: connect: connection refused)",
		wantCode: GeneralFailure,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newFakeNet(tt.outcomes)
				_, _, err := n.dialer(PreferIPv6).DialAddrs(t.Context(), []netip.AddrPort{v4a, v6a})
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v\nwant %s", err, tt.wantErr)
				}
				if CodeOf(err) != tt.wantCode || ClassifyDialError(err) != tt.wantCode {
					t.Errorf("CodeOf = %v, Classify = %v; want %v", CodeOf(err), ClassifyDialError(err), tt.wantCode)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("errors.Is(err, %v) = false", tt.wantIs)
				}
			})
		})
	}
}

func TestDialAddrsContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newFakeNet(map[netip.AddrPort]outcome{v6a: hang, v4a: hang, v6b: hang})
		ctx, cancel := context.WithTimeout(t.Context(), 600*ms)
		defer cancel()
		_, _, err := n.dialer(PreferIPv6).DialAddrs(ctx, []netip.AddrPort{v6a, v6b, v4a})
		if !errors.Is(err, context.DeadlineExceeded) || CodeOf(err) != Timeout {
			t.Fatalf("err = %v (code %v), want deadline exceeded, Timeout", err, CodeOf(err))
		}
		checkStrings(t, "attempts", n.attemptLog(),
			[]string{"[2001:db8::1]:443@0s", "192.0.2.1:443@250ms", "[2001:db8::2]:443@500ms"})
		// v6b ran only 100ms: too short to blame its family.
		checkStrings(t, "reports", n.reports, []string{
			"[2001:db8::1]:443 600ms dial tcp [2001:db8::1]:443: context deadline exceeded",
			"192.0.2.1:443 350ms dial tcp 192.0.2.1:443: context deadline exceeded"})
	})
	synctest.Test(t, func(t *testing.T) {
		n := newFakeNet(map[netip.AddrPort]outcome{v6a: hang, v4a: hang})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(400*ms, cancel)
		_, _, err := n.dialer(PreferIPv6).DialAddrs(ctx, []netip.AddrPort{v6a, v4a})
		if !errors.Is(err, context.Canceled) || len(n.reports) != 0 {
			t.Fatalf("err = %v, reports %q; want context canceled, no reports", err, n.reports)
		}
		n = newFakeNet(map[netip.AddrPort]outcome{v6a: ok(0)})
		_, _, err = n.dialer(PreferIPv6).DialAddrs(ctx, []netip.AddrPort{v6a})
		if !errors.Is(err, context.Canceled) || len(n.attempts) != 0 {
			t.Fatalf("cancelled before the dial: err = %v, attempts %v; want context canceled, none", err, n.attemptLog())
		}
	})
}

func TestDialAddrsNoFamily(t *testing.T) {
	tests := []struct {
		policy  Policy
		addrs   []netip.AddrPort
		wantErr string
	}{
		{IPv4Only, []netip.AddrPort{v6a, v6b}, "dial [2001:db8::1]:443 (+1 more): no address of a usable family: no IPv4 address (policy ipv4-only)"},
		{IPv6Only, []netip.AddrPort{v4a}, "dial 192.0.2.1:443: no address of a usable family: no IPv6 address (policy ipv6-only)"},
		{PreferIPv4, nil, "dial (no addresses): name not found: no address to dial"},
	}
	for _, tt := range tests {
		n := newFakeNet(nil)
		_, _, err := n.dialer(tt.policy).DialAddrs(context.Background(), tt.addrs)
		var de *DialError
		if !errors.As(err, &de) || err.Error() != tt.wantErr {
			t.Errorf("%v %v: err = %v, want %s", tt.policy, tt.addrs, err, tt.wantErr)
		}
		if len(n.attempts) != 0 {
			t.Errorf("%v: attempts %v, want none", tt.policy, n.attemptLog())
		}
	}
}
