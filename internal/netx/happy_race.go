package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// race is one Happy Eyeballs dial: a single loop on the caller's goroutine
// that starts attempts, collects their results and (for DialContext) the
// DNS answers. Attempts run in their own goroutines; one that finishes after
// the race returned closes its connection itself (Go's dialParallel does the
// same), so a loser never leaks.
type race struct {
	h       *HappyEyeballs
	ctx     context.Context // the caller's
	actx    context.Context // attempts' and lookups': ends when the race returns
	cancel  context.CancelFunc
	subject string
	policy  Policy
	v6First bool
	delay   time.Duration

	known    []netip.AddrPort // allowed addresses, arrival order, no duplicates
	seen     map[netip.AddrPort]bool
	tried    map[netip.AddrPort]bool
	inflight []flight
	failures []attemptFailure
	results  chan attemptResult
	done     chan struct{} // closed when the race returns

	// name resolution (DialContext only)
	gateOpen         bool // attempts may start
	answers          chan answer
	waiting          int // lookups outstanding
	resTimer         *time.Timer
	lookupErrs       []error
	resolutionFailed bool // no address of an allowed family exists
}

type flight struct {
	addr  netip.AddrPort
	start time.Time
	seq   int // start order
}

type attemptResult struct {
	addr netip.AddrPort
	conn net.Conn
	err  error
}

type attemptFailure struct {
	addr netip.AddrPort
	seq  int   // start order
	err  error // a *net.OpError naming addr
}

type answer struct {
	v6    bool
	addrs []netip.AddrPort
	err   error
}

func newRace(ctx context.Context, h *HappyEyeballs, subject string, p Policy) *race {
	actx, cancel := context.WithCancel(ctx)
	return &race{
		h: h, ctx: ctx, actx: actx, cancel: cancel, subject: subject,
		policy: p, v6First: h.v6First(p), delay: h.delay(),
		seen: map[netip.AddrPort]bool{}, tried: map[netip.AddrPort]bool{},
		results: make(chan attemptResult), done: make(chan struct{}),
	}
}

// add appends the allowed, not yet known addresses of addrs.
func (r *race) add(addrs []netip.AddrPort) {
	for _, a := range addrs {
		if r.policy.Allows(a.Addr()) && !r.seen[a] {
			r.seen[a] = true
			r.known = append(r.known, a)
		}
	}
}

// resolve starts one lookup per allowed family.
func (r *race) resolve(host string, port uint16) {
	r.answers = make(chan answer, 2) // never blocks: lookups cannot leak
	for _, v6 := range []bool{true, false} {
		network, probe := "ip4", netip.IPv4Unspecified()
		if v6 {
			network, probe = "ip6", netip.IPv6Unspecified()
		}
		if !r.policy.Allows(probe) {
			continue
		}
		r.waiting++
		go func() {
			ips, err := r.h.lookup(r.actx, network, host)
			addrs := make([]netip.AddrPort, 0, len(ips))
			for _, ip := range ips {
				addrs = append(addrs, netip.AddrPortFrom(ip.Unmap(), port))
			}
			r.answers <- answer{v6: v6, addrs: addrs, err: err}
		}()
	}
	if r.waiting == 0 {
		r.gateOpen = true
	}
}

func (r *race) run() (net.Conn, netip.AddrPort, error) {
	defer r.finish()
	if r.ctx.Err() != nil {
		return nil, netip.AddrPort{}, r.ended()
	}
	next := time.NewTimer(r.delay)
	next.Stop()
	defer next.Stop()
	startNow := true
	for {
		if startNow && r.gateOpen {
			if a, ok := r.nextAddr(); ok {
				r.start(a)
				next.Reset(r.delay)
				startNow = false
			}
		}
		if len(r.inflight) == 0 && r.waiting == 0 && len(r.tried) == len(r.known) {
			return nil, netip.AddrPort{}, r.failure()
		}
		select {
		case res := <-r.results:
			if res.err == nil {
				r.won(res)
				return res.conn, res.addr, nil
			}
			if r.ctx.Err() != nil {
				return nil, netip.AddrPort{}, r.ended()
			}
			r.failed(res)
			startNow = true
		case <-next.C:
			startNow = true
		case ans := <-r.answers:
			r.answered(ans)
		case <-r.resolutionTimer():
			r.gateOpen = true
		case <-r.ctx.Done():
			return nil, netip.AddrPort{}, r.ended()
		}
	}
}

// finish releases the race's attempts, lookups and timer.
func (r *race) finish() {
	close(r.done)
	r.cancel()
	if r.resTimer != nil {
		r.resTimer.Stop()
	}
}

// nextAddr is the first address of the interleaved list not yet tried.
// Re-sorting on every pick places late DNS answers where RFC 8305 §4 wants.
func (r *race) nextAddr() (netip.AddrPort, bool) {
	for _, a := range SortAddrs(r.known, r.v6First) {
		if !r.tried[a] {
			return a, true
		}
	}
	return netip.AddrPort{}, false
}

func (r *race) start(a netip.AddrPort) {
	r.tried[a] = true
	r.inflight = append(r.inflight, flight{addr: a, start: time.Now(), seq: len(r.tried)})
	attempt := r.h.attempt()
	go func() {
		c, err := attempt(r.actx, a)
		switch {
		case err != nil && c != nil:
			c.Close()
			c = nil
		case err == nil && c == nil:
			err = errors.New("attempt returned no connection")
		}
		select {
		case r.results <- attemptResult{addr: a, conn: c, err: err}:
		case <-r.done:
			if c != nil {
				c.Close()
			}
		}
	}()
}

// land removes a from the in-flight list and returns its record.
func (r *race) land(a netip.AddrPort) flight {
	i := slices.IndexFunc(r.inflight, func(f flight) bool { return f.addr == a })
	f := r.inflight[i]
	r.inflight = slices.Delete(r.inflight, i, i+1)
	return f
}

func (r *race) failed(res attemptResult) {
	f := r.land(res.addr)
	r.failures = append(r.failures, attemptFailure{addr: res.addr, seq: f.seq, err: opError(res.addr, res.err)})
	r.report(AttemptReport{Addr: res.addr, Duration: time.Since(f.start), Err: res.err})
}

// won reports the other family's attempts that ran longer than the
// Connection Attempt Delay without answering, then the winner.
func (r *race) won(res attemptResult) {
	d := time.Since(r.land(res.addr).start)
	for _, f := range r.inflight {
		if isV6(f.addr.Addr()) != isV6(res.addr.Addr()) {
			if ran := time.Since(f.start); ran >= r.delay {
				r.report(AttemptReport{Addr: f.addr, Duration: ran, Err: ErrOutrun})
			}
		}
	}
	r.report(AttemptReport{Addr: res.addr, Duration: d})
}

// ended handles the caller's context ending the race.
func (r *race) ended() error {
	cause := r.ctx.Err()
	code := GeneralFailure
	if errors.Is(cause, context.DeadlineExceeded) {
		code = Timeout
		for _, f := range r.inflight {
			if ran := time.Since(f.start); ran >= r.delay {
				r.report(AttemptReport{Addr: f.addr, Duration: ran, Err: opError(f.addr, cause)})
			}
		}
	}
	err := fmt.Errorf("dial tcp %s: %w", r.subject, cause)
	if best, ok := bestFailure(r.failures); ok {
		err = fmt.Errorf("%w (before that: %v)", err, best.err)
	}
	return &dialFailure{code: code, subject: r.subject, err: err}
}

func (r *race) report(rep AttemptReport) {
	if r.h.Report != nil {
		r.h.Report(rep)
	}
}

func (r *race) answered(a answer) {
	r.waiting--
	if a.err != nil {
		r.lookupErrs = append(r.lookupErrs, a.err)
	}
	before := len(r.known)
	r.add(a.addrs)
	switch {
	case a.v6 == r.v6First || r.waiting == 0:
		r.gateOpen = true
	case len(r.known) > before && r.resTimer == nil:
		r.resTimer = time.NewTimer(r.h.resolutionDelay())
	}
}

func (r *race) resolutionTimer() <-chan time.Time {
	if r.resTimer == nil || r.gateOpen {
		return nil
	}
	return r.resTimer.C
}

// failure builds the error once nothing is left to try.
func (r *race) failure() error {
	if len(r.tried) == 0 {
		r.resolutionFailed = r.onlyNotFound()
		msg := "no addresses"
		if len(r.lookupErrs) > 0 {
			msg = joinDistinct(r.lookupErrs)
		}
		return &DialError{Code: NotFound, Addr: r.subject, Msg: msg}
	}
	best, _ := bestFailure(r.failures)
	return &dialFailure{
		code: ClassifyDialError(best.err), subject: r.subject,
		err: best.err, others: otherFailures(r.failures, best),
	}
}

// onlyNotFound reports whether every lookup failed with "no such name" (or
// answered nothing), as opposed to a server failure or a timeout.
func (r *race) onlyNotFound() bool {
	for _, e := range r.lookupErrs {
		var de *net.DNSError
		if !errors.As(e, &de) || !de.IsNotFound {
			return false
		}
	}
	return true
}

func joinDistinct(errs []error) string {
	var parts []string
	for _, e := range errs {
		if s := e.Error(); !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}
