// Package server is the tunnel's far end: an http.Handler that answers the
// secret WebSocket path (and nothing else: every other request gets the same
// 404 as any web server), then serves the streams a client opens — TCP
// connects, UDP associations and name resolution — after checking each
// destination against the policy once names are resolved.
package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/tunnel"
	"github.com/autovpn/autovpn/internal/wire"
)

// Checker decides whether a destination may be dialled (policy.Policy).
type Checker interface {
	Check(dst netip.AddrPort, network string) error
}

// Resolver looks up A and AAAA records of a name, with TTLs.
type Resolver interface {
	LookupAddrs(ctx context.Context, host string) ([]wire.Record, error)
}

// Server serves tunnel sessions. Fields are read-only after the first request.
type Server struct {
	Prefix   string              // the secret path prefix (required)
	Policy   Checker             // destination policy (required)
	Resolver Resolver            // name resolution for destinations and resolve streams (required)
	Dialer   *netx.HappyEyeballs // destination dials; its Policy is replaced per stream
	Log      *slog.Logger        // nil: discard
	Events   Events              // nil: no metrics

	// MaxStreams bounds concurrent streams per session (0 → DefaultMaxStreams).
	MaxStreams int
	// MaxSessionsPerSource bounds tunnels per source address (0 → DefaultSessionsPerSource).
	MaxSessionsPerSource int
	// MaxUDPPerSession bounds UDP associations per tunnel (0 → DefaultUDPPerSession).
	MaxUDPPerSession int
	// UDPIdle ends a UDP association with no datagram either way for this
	// long (0 → DefaultUDPIdle).
	UDPIdle time.Duration
	// OpenTimeout bounds reading a stream's open request and dialling (0 → 15 s).
	OpenTimeout time.Duration

	mu       sync.Mutex
	sessions map[*tunnel.Session]struct{}
	wg       sync.WaitGroup
	draining bool
	sources  perSource
}

// Events are the server's metric hooks (metrics.Server implements them).
type Events interface {
	SessionOpen(family string)
	SessionClosed(family string)
	AuthFailure(reason string)
	StreamOpen(kind, family string)
	StreamFailure(kind, family, reason string)
	StreamClosed(kind, family string)
	DestinationDenied(kind string)
	Bytes(direction, family string, n int64)
	DNSAnswers(qtype string, n int)
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// ServeHTTP answers the tunnel path and 404s everything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	want := tunnel.Path(s.Prefix)
	pathOK := subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(want)) == 1
	if !pathOK || !tunnel.IsUpgrade(r) {
		if s.Events != nil {
			s.Events.AuthFailure("not_found")
		}
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	src := sourceKey(remoteAddr(r))
	if !s.sources.acquire(src, orDefault(s.MaxSessionsPerSource, DefaultSessionsPerSource)) {
		s.log().Warn("too many tunnels from one source, refusing", "source", src)
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	defer s.sources.release(src)

	sess, err := tunnel.Upgrade(w, r, s.log())
	if err != nil {
		s.log().Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	s.track(sess, true)
	defer s.track(sess, false)
	fam := familyOf(sess.Remote().Addr())
	if s.Events != nil {
		s.Events.SessionOpen(fam)
		defer s.Events.SessionClosed(fam)
	}
	s.log().Info("tunnel session open", "remote", sess.Remote(), "family", fam)
	s.serveSession(sess)
	s.log().Info("tunnel session closed", "remote", sess.Remote())
}

func (s *Server) track(sess *tunnel.Session, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[*tunnel.Session]struct{}{}
	}
	if add {
		s.sessions[sess] = struct{}{}
	} else {
		delete(s.sessions, sess)
	}
}

func (s *Server) serveSession(sess *tunnel.Session) {
	defer sess.Wait()
	defer sess.Close()
	max := orDefault(s.MaxStreams, DefaultMaxStreams)
	sem := make(chan struct{}, max)
	state := &sessionState{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			return
		}
		if s.isDraining() {
			// Streams already open may finish; new ones go elsewhere (the
			// client retires this tunnel and opens them on a new one).
			_ = s.reply(st, wire.Reply{Code: netx.ServerDraining, Msg: "server is shutting down"})
			st.Close()
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			s.log().Warn("stream limit reached, refusing stream", "remote", sess.Remote(), "limit", max)
			// An answer, not a bare close: the client fails this one open
			// (SOCKS5 0x01, HTTP 502) with a reason, and the open read
			// is not waited for, so the accept loop never blocks on it.
			_ = s.reply(st, wire.Reply{Code: netx.GeneralFailure, Msg: fmt.Sprintf("server stream limit reached (%d per tunnel)", max)})
			st.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.serveStream(st, state)
		}()
	}
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// Shutdown stops taking new sessions and new streams and waits for the open ones to finish
// their streams until ctx ends; then it closes them. Pair it with
// http.Server.Shutdown (which does not see hijacked connections).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		busy := 0
		for sess := range s.sessions {
			busy += sess.NumStreams()
		}
		s.mu.Unlock()
		if busy == 0 {
			break
		}
		select {
		case <-ctx.Done():
			s.closeAll()
			s.wg.Wait()
			return ctx.Err()
		case <-t.C:
		}
	}
	s.closeAll()
	s.wg.Wait()
	return nil
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		sess.Close()
	}
}

// sessionState is what the streams of one tunnel share.
type sessionState struct {
	udp     atomic.Int32 // open UDP associations
	resolve bucket       // names resolved, rate-limited
}

// Resolve rate per tunnel: a resolve of a whole domain list (tens of
// thousands of names) runs at full speed in bursts, a flood does not.
const (
	resolveRate  = 5000 // names per second
	resolveBurst = 20000
)

// bucket is a token bucket (names per second with a burst).
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// take removes n tokens if they are there.
func (b *bucket) take(n int, rate, burst float64, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func remoteAddr(r *http.Request) net.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}
	}
	return net.TCPAddrFromAddrPort(ap)
}

func familyOf(a netip.Addr) string {
	if a.Unmap().Is4() {
		return "ipv4"
	}
	if a.IsValid() {
		return "ipv6"
	}
	return "unknown"
}
