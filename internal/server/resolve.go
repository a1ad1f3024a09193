package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/mux"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// serveResolve answers one resolve request: A and AAAA for every name, with
// TTLs, resolved by the server so the client's local DNS never sees them.
func (s *Server) serveResolve(st *mux.Stream, state *sessionState) {
	st.SetReadDeadline(time.Now().Add(s.openTimeout()))
	names, err := wire.ReadResolveRequest(st)
	if err != nil {
		s.fail(st, wire.KindResolve, &netx.DialError{Code: netx.BadAddress, Addr: "resolve", Msg: err.Error()})
		return
	}
	if !state.resolve.take(len(names), resolveRate, resolveBurst, time.Now()) {
		s.fail(st, wire.KindResolve, &netx.DialError{Code: netx.GeneralFailure, Addr: "resolve", Msg: "resolve rate limit of this tunnel reached, retry shortly"})
		return
	}
	if s.Events != nil {
		// A resolve stream has no destination: it counts under the family
		// of the tunnel it rides on.
		fam := metrics.AddrFamily(st.RemoteAddr())
		s.Events.StreamOpen("resolve", fam)
		defer s.Events.StreamClosed("resolve", fam)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.openTimeout())
	defer cancel()
	answers := make([]wire.NameAnswer, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			answers[i] = s.resolveOne(ctx, name)
		}()
	}
	wg.Wait()
	if err := s.reply(st, wire.Reply{Code: netx.OK}); err != nil {
		return
	}
	b, err := wire.AppendResolveAnswer(nil, answers)
	if err != nil {
		return
	}
	st.Write(b)
}

func (s *Server) resolveOne(ctx context.Context, name string) wire.NameAnswer {
	lookup := s.Resolver.LookupAddrs
	if c, ok := s.Resolver.(completeResolver); ok {
		lookup = c.LookupAddrsComplete // the answer goes into an IP list
	}
	recs, err := lookup(ctx, name)
	switch {
	case err == nil:
		if s.Events != nil {
			v4 := 0
			for _, r := range recs {
				if r.IP.Unmap().Is4() {
					v4++
				}
			}
			s.Events.DNSAnswers("A", v4)
			s.Events.DNSAnswers("AAAA", len(recs)-v4)
		}
		return wire.NameAnswer{Code: netx.OK, Records: recs}
	case errors.Is(err, context.DeadlineExceeded):
		return wire.NameAnswer{Code: netx.Timeout}
	case isNotFound(err):
		return wire.NameAnswer{Code: netx.NotFound}
	}
	return wire.NameAnswer{Code: netx.GeneralFailure}
}

// completeResolver is a Resolver that can fail a name when either family
// failed (a timeout) although the other answered. Resolve streams use it:
// their answers become the client's IP list, which must not lose a family
// to one lost query; dials keep taking whatever answered.
type completeResolver interface {
	LookupAddrsComplete(ctx context.Context, host string) ([]wire.Record, error)
}

// NotFoundError is implemented by resolver errors that mean "no such name".
type notFounder interface{ NotFound() bool }

func isNotFound(err error) bool {
	var nf notFounder
	if errors.As(err, &nf) {
		return nf.NotFound()
	}
	return netx.CodeOf(err) == netx.NotFound
}
