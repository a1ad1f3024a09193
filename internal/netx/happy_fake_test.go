package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Fakes for the Happy Eyeballs tests. They run inside a synctest bubble, so
// every delay is virtual and every time recorded is exact.

var (
	v6a = netip.MustParseAddrPort("[2001:db8::1]:443")
	v6b = netip.MustParseAddrPort("[2001:db8::2]:443")
	v4a = netip.MustParseAddrPort("192.0.2.1:443")
	v4b = netip.MustParseAddrPort("192.0.2.2:443")
)

const ms = time.Millisecond

// outcome is how a fake attempt to one address ends.
type outcome struct {
	after     time.Duration // virtual time until the outcome
	err       error         // nil: connect
	hang      bool          // never answer; return when ctx ends
	ignoreCtx bool          // deliver the outcome even after ctx ended
}

type fakeConn struct {
	net.Conn
	addr   netip.AddrPort
	closed atomic.Bool
}

func (c *fakeConn) Close() error { c.closed.Store(true); return nil }

type attemptEvent struct {
	addr netip.AddrPort
	at   time.Duration
}

func (e attemptEvent) String() string { return fmt.Sprintf("%v@%v", e.addr, e.at) }

type fakeNet struct {
	t0       time.Time
	outcomes map[netip.AddrPort]outcome

	mu        sync.Mutex
	attempts  []attemptEvent
	cancelled []attemptEvent // attempts that saw their ctx end, and when
	conns     map[netip.AddrPort]*fakeConn
	reports   []string
}

func newFakeNet(outcomes map[netip.AddrPort]outcome) *fakeNet {
	return &fakeNet{t0: time.Now(), outcomes: outcomes, conns: map[netip.AddrPort]*fakeConn{}}
}

func (n *fakeNet) since() time.Duration { return time.Since(n.t0) }

func (n *fakeNet) attempt(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	n.mu.Lock()
	n.attempts = append(n.attempts, attemptEvent{addr, n.since()})
	n.mu.Unlock()
	o, ok := n.outcomes[addr]
	if !ok {
		return nil, fmt.Errorf("fake: no outcome for %v", addr)
	}
	if o.hang {
		<-ctx.Done()
		return nil, n.sawCancel(addr, ctx)
	}
	t := time.NewTimer(o.after)
	defer t.Stop()
	if !o.ignoreCtx {
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, n.sawCancel(addr, ctx)
		}
	} else {
		<-t.C
	}
	if o.err != nil {
		return nil, o.err
	}
	c := &fakeConn{addr: addr}
	n.mu.Lock()
	n.conns[addr] = c
	n.mu.Unlock()
	return c, nil
}

func (n *fakeNet) sawCancel(addr netip.AddrPort, ctx context.Context) error {
	n.mu.Lock()
	n.cancelled = append(n.cancelled, attemptEvent{addr, n.since()})
	n.mu.Unlock()
	return ctx.Err()
}

func (n *fakeNet) report(r AttemptReport) {
	n.mu.Lock()
	defer n.mu.Unlock()
	res := "won"
	if r.Err != nil {
		res = r.Err.Error()
		if errors.Is(r.Err, ErrOutrun) {
			res = "outrun"
		}
	}
	n.reports = append(n.reports, fmt.Sprintf("%v %v %s", r.Addr, r.Duration, res))
}

func (n *fakeNet) dialer(p Policy) *HappyEyeballs {
	return &HappyEyeballs{Attempt: n.attempt, Policy: p, Report: n.report}
}

func (n *fakeNet) attemptLog() []string { return eventStrings(n.attempts) }
func (n *fakeNet) cancelLog() []string  { return eventStrings(n.cancelled) }
func eventStrings(es []attemptEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

// lookupAnswer is a fake DNS answer for one family.
type lookupAnswer struct {
	after time.Duration
	ips   []string
	err   error
}

type fakeDNS struct {
	answers map[string]lookupAnswer // by network "ip4"/"ip6"
	mu      sync.Mutex
	queries []string
}

func (d *fakeDNS) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	d.queries = append(d.queries, network+" "+host)
	d.mu.Unlock()
	a, ok := d.answers[network]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	t := time.NewTimer(a.after)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if a.err != nil {
		return nil, a.err
	}
	var ips []netip.Addr
	for _, s := range a.ips {
		ips = append(ips, netip.MustParseAddr(s))
	}
	return ips, nil
}
