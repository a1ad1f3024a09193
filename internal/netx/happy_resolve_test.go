package netx

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestDialContextResolution(t *testing.T) {
	notFound := &net.DNSError{Err: "no such host", Name: "svc.test", IsNotFound: true}
	a4 := func(after time.Duration) lookupAnswer { return lookupAnswer{after: after, ips: []string{"192.0.2.1"}} }
	a6 := func(after time.Duration) lookupAnswer {
		return lookupAnswer{after: after, ips: []string{"2001:db8::1"}}
	}
	tests := []struct {
		name         string
		policy       Policy
		network      string // default "tcp"
		address      string // default "svc.test:443"
		order        func(bool) bool
		dns          map[string]lookupAnswer
		outcomes     map[netip.AddrPort]outcome
		wantQueries  []string
		wantAttempts []string
		wantCode     Code   // OK: the dial succeeds
		wantErrHas   string // with wantCode
	}{{
		name: "AAAA first: connect at once", policy: PreferIPv6,
		dns:          map[string]lookupAnswer{"ip6": a6(10 * ms), "ip4": a4(20 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v6a: hang, v4a: ok(5 * ms)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"[2001:db8::1]:443@10ms", "192.0.2.1:443@260ms"},
	}, {
		name: "A first, AAAA within the resolution delay", policy: PreferIPv6,
		dns:          map[string]lookupAnswer{"ip6": a6(30 * ms), "ip4": a4(10 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v6a: hang, v4a: ok(5 * ms)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"[2001:db8::1]:443@30ms", "192.0.2.1:443@280ms"},
	}, {
		name: "A first, AAAA late: start after the resolution delay, AAAA joins", policy: PreferIPv6,
		dns:          map[string]lookupAnswer{"ip6": a6(200 * ms), "ip4": a4(10 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: hang, v6a: ok(5 * ms)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@60ms", "[2001:db8::1]:443@310ms"},
	}, {
		name: "AAAA fails: no resolution delay for A", policy: PreferIPv6,
		dns:          map[string]lookupAnswer{"ip6": {after: 5 * ms, err: notFound}, "ip4": a4(100 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: ok(0)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@100ms"},
	}, {
		name: "prefer-ipv4 waits for A", policy: PreferIPv4,
		dns:          map[string]lookupAnswer{"ip6": a6(5 * ms), "ip4": a4(10 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: hang, v6a: ok(0)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@10ms", "[2001:db8::1]:443@260ms"},
	}, {
		name: "late answer dialled at once after the others failed", policy: PreferIPv4,
		dns:          map[string]lookupAnswer{"ip6": a6(100 * ms), "ip4": a4(1 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: {err: errRefused}, v6a: ok(0)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@1ms", "[2001:db8::1]:443@100ms"},
	}, {
		name: "Order hook: IPv4 first under prefer-ipv6", policy: PreferIPv6,
		order:        func(bool) bool { return false },
		dns:          map[string]lookupAnswer{"ip6": a6(10 * ms), "ip4": a4(30 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: hang, v6a: ok(0)},
		wantQueries:  []string{"ip4 svc.test", "ip6 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@30ms", "[2001:db8::1]:443@280ms"},
	}, {
		name: "both lookups fail: NotFound", policy: PreferIPv6,
		dns:         map[string]lookupAnswer{"ip6": {after: 1 * ms, err: notFound}, "ip4": {after: 2 * ms, err: notFound}},
		wantQueries: []string{"ip4 svc.test", "ip6 svc.test"},
		wantCode:    NotFound, wantErrHas: "dial svc.test:443: name not found: lookup svc.test: no such host",
	}, {
		name: "ipv4-only does not ask for AAAA", policy: IPv4Only,
		dns:          map[string]lookupAnswer{"ip6": a6(1 * ms), "ip4": a4(1 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v4a: ok(0)},
		wantQueries:  []string{"ip4 svc.test"},
		wantAttempts: []string{"192.0.2.1:443@1ms"},
	}, {
		name: "ipv4-only, AAAA-only name: NoFamily", policy: IPv4Only,
		dns:         map[string]lookupAnswer{"ip6": a6(1 * ms)},
		wantQueries: []string{"ip4 svc.test", "ip6 svc.test"},
		wantCode:    NoFamily, wantErrHas: "no IPv4 address (the name has only IPv6 addresses; policy ipv4-only)",
	}, {
		name: "ipv4-only, A lookup fails (not NXDOMAIN): no AAAA query", policy: IPv4Only,
		dns: map[string]lookupAnswer{"ip6": a6(1 * ms),
			"ip4": {after: 1 * ms, err: &net.DNSError{Err: "server misbehaving", Name: "svc.test"}}},
		wantQueries: []string{"ip4 svc.test"},
		wantCode:    NotFound, wantErrHas: "lookup svc.test: server misbehaving",
	}, {
		name: "ipv6-only, A-only name: NoFamily", policy: IPv6Only,
		dns:         map[string]lookupAnswer{"ip4": a4(1 * ms)},
		wantQueries: []string{"ip4 svc.test", "ip6 svc.test"},
		wantCode:    NoFamily, wantErrHas: "no IPv6 address (the name has only IPv4 addresses; policy ipv6-only)",
	}, {
		name: "tcp6 narrows the policy", policy: PreferIPv4, network: "tcp6",
		dns:          map[string]lookupAnswer{"ip6": a6(1 * ms), "ip4": a4(1 * ms)},
		outcomes:     map[netip.AddrPort]outcome{v6a: ok(0)},
		wantQueries:  []string{"ip6 svc.test"},
		wantAttempts: []string{"[2001:db8::1]:443@1ms"},
	}, {
		name: "IP literal: no lookup", policy: PreferIPv4, address: "[2001:db8::1]:443",
		outcomes:     map[netip.AddrPort]outcome{v6a: ok(0)},
		wantAttempts: []string{"[2001:db8::1]:443@0s"},
	}, {
		name: "tcp4 on ipv6-only: NoFamily", policy: IPv6Only, network: "tcp4",
		wantCode: NoFamily, wantErrHas: "no IPv6 address (network tcp4; policy ipv6-only)",
	}, {
		name: "udp is unsupported", policy: PreferIPv4, network: "udp",
		wantCode: Unsupported, wantErrHas: `network "udp" is not tcp, tcp4 or tcp6`,
	}, {
		name: "no port", policy: PreferIPv4, address: "svc.test",
		wantCode: BadAddress, wantErrHas: "missing port in address",
	}, {
		name: "port out of range", policy: PreferIPv4, address: "svc.test:70000",
		wantCode: BadAddress, wantErrHas: `port "70000" is not a number (1-65535)`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newFakeNet(tt.outcomes)
				dns := &fakeDNS{answers: tt.dns}
				h := n.dialer(tt.policy)
				h.Lookup, h.Order = dns.lookup, tt.order
				network, address := cmp(tt.network, "tcp"), cmp(tt.address, "svc.test:443")
				c, err := h.DialContext(t.Context(), network, address)
				switch {
				case tt.wantCode == OK && err != nil:
					t.Fatalf("DialContext: %v", err)
				case tt.wantCode != OK && (CodeOf(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantErrHas)):
					t.Fatalf("err = %v (code %v); want code %v, containing %q", err, CodeOf(err), tt.wantCode, tt.wantErrHas)
				case c != nil && c.(*fakeConn).closed.Load():
					t.Errorf("returned a closed connection")
				}
				synctest.Wait()
				slices.Sort(dns.queries)
				checkStrings(t, "queries", dns.queries, tt.wantQueries)
				checkStrings(t, "attempts", n.attemptLog(), tt.wantAttempts)
			})
		})
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestClassifyDialError(t *testing.T) {
	op := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		err  error
		want Code
	}{
		{nil, OK},
		{op(errRefused), Refused},
		{op(errNetUnreach), NetUnreachable},
		{op(errHostUnreach), HostUnreachable},
		{op(&os.SyscallError{Syscall: "connect", Err: syscall.ETIMEDOUT}), Timeout},
		{op(&os.SyscallError{Syscall: "connect", Err: syscall.EADDRNOTAVAIL}), NoFamily},
		{op(&os.SyscallError{Syscall: "socket", Err: syscall.EAFNOSUPPORT}), NoFamily},
		{context.DeadlineExceeded, Timeout},
		{op(context.DeadlineExceeded), Timeout},
		{&net.DNSError{Err: "no such host", IsNotFound: true}, NotFound},
		{&net.DNSError{Err: "i/o timeout", IsTimeout: true}, Timeout},
		{&net.DNSError{Err: "server misbehaving"}, GeneralFailure},
		{&DialError{Code: Denied}, Denied},
		{errors.New("tls: bad certificate"), GeneralFailure},
		{context.Canceled, GeneralFailure},
	}
	for _, tt := range tests {
		if got := ClassifyDialError(tt.err); got != tt.want {
			t.Errorf("ClassifyDialError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestHappyDefaults(t *testing.T) {
	var h HappyEyeballs
	if h.delay() != 250*ms || h.resolutionDelay() != 50*ms {
		t.Errorf("zero value: delay %v, resolution delay %v; want 250ms, 50ms", h.delay(), h.resolutionDelay())
	}
	h = HappyEyeballs{Delay: time.Millisecond, ResolutionDelay: -1}
	if h.delay() != 10*ms || h.resolutionDelay() != 0 {
		t.Errorf("delay %v (want 10ms floor), resolution delay %v (want 0)", h.delay(), h.resolutionDelay())
	}
}
