// Package tunnel carries many streams over one WebSocket connection: the
// WebSocket transport (ws:// or wss:// with an optional certificate pin),
// stream multiplexing with xtaci/smux (protocol v2, per-stream flow control),
// and the keepalive that measures RTT and detects a dead peer within three
// intervals. Both halves live here: Dial for the client, Upgrade for the
// server. It knows nothing of what the streams carry.
package tunnel

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autovpn/autovpn/internal/mux"
)

// Subprotocol is the WebSocket subprotocol both sides announce.
const Subprotocol = "autovpn.v1"

// KeepaliveHeader carries the client's keepalive interval in seconds
// (fractions allowed) so the server's dead-peer watchdog matches it.
const KeepaliveHeader = "X-Autovpn-Keepalive"

// DefaultKeepalive is used when an interval is zero.
const DefaultKeepalive = 25 * time.Second

// Path is the URL path of the tunnel under the secret prefix.
func Path(prefix string) string { return "/" + prefix + "/v1" }

// muxConfig is the tunnel's multiplexer configuration. The 4 MiB window per
// stream keeps a bulk sender from stalling on credit between two 256 KiB
// writes (with 1 MiB it waited for every second grant: 0.19 → 0.32 × direct
// together with the larger reads, see docs/benchmarks.md). It bounds what a
// stream can queue when its local reader is slow; an idle stream holds
// nothing.
func muxConfig() mux.Config { return mux.Config{Window: 4 << 20} }

// Session is one tunnel: a WebSocket connection multiplexing streams.
type Session struct {
	ws       *wsConn
	mux      *mux.Session
	remote   netip.AddrPort
	interval time.Duration
	log      *slog.Logger

	rtt       atomic.Int64 // nanoseconds, last keepalive round trip; 0 before the first
	pinging   atomic.Bool  // a ping is on its way to the transport
	pmu       sync.Mutex   // orders Close's close(done) and sendPing's wg.Add
	onRTT     func(time.Duration)
	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

func newSession(c *wsConn, client bool, interval time.Duration, log *slog.Logger, onRTT func(time.Duration)) (*Session, error) {
	if interval <= 0 {
		interval = DefaultKeepalive
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{ws: c, interval: interval, log: log, done: make(chan struct{}), onRTT: onRTT}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		s.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if client {
		c.onPong = s.pong
		s.mux = mux.Client(c, muxConfig())
	} else {
		s.mux = mux.Server(c, muxConfig())
	}
	s.wg.Add(1)
	go s.watch(client)
	return s, nil
}

// watch pings the peer every interval (client side) and closes the session
// when nothing has arrived for three intervals (both sides; the client's
// pings keep the server's watchdog fed), or when one transport write has
// been under way that long (a peer that sends but reads nothing, or a path
// gone dead while our socket buffer is full). It never waits on the
// transport itself: pings go out from a goroutine of their own.
func (s *Session) watch(ping bool) {
	defer s.wg.Done()
	tick := s.interval / 2
	t := time.NewTicker(tick)
	defer t.Stop()
	lastPing := time.Now()
	if ping {
		s.sendPing()
	}
	for {
		select {
		case <-s.done:
			return
		case <-s.mux.CloseChan():
			s.Close()
			return
		case now := <-t.C:
			if now.Sub(s.ws.LastRead()) >= 3*s.interval-tick {
				s.log.Warn("tunnel peer silent, closing", "remote", s.remote, "silent_for", now.Sub(s.ws.LastRead()).Round(time.Millisecond))
				s.Close()
				return
			}
			if w := s.ws.WritingSince(); !w.IsZero() && now.Sub(w) >= 3*s.interval-tick {
				s.log.Warn("tunnel peer reads nothing, closing", "remote", s.remote, "write_blocked_for", now.Sub(w).Round(time.Millisecond))
				s.Close()
				return
			}
			if ping && now.Sub(lastPing) >= s.interval-tick/2 {
				lastPing = now
				s.sendPing()
			}
		}
	}
}

// sendPing sends a keepalive ping from a goroutine of its own, one at a
// time: a ping waits for the transport behind any write under way, and the
// watchdog must not wait with it.
func (s *Session) sendPing() {
	if !s.pinging.CompareAndSwap(false, true) {
		return // the last one is still waiting for the transport
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	select {
	case <-s.done: // no wg.Add once Close has run: Wait may be under way
		s.pinging.Store(false)
		return
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.pinging.Store(false)
		var p [8]byte
		binary.BigEndian.PutUint64(p[:], uint64(time.Now().UnixNano()))
		if err := s.ws.Ping(p[:]); err != nil {
			s.Close()
		}
	}()
}

func (s *Session) pong(p []byte) {
	if len(p) != 8 {
		return
	}
	sent := int64(binary.BigEndian.Uint64(p))
	if rtt := time.Now().UnixNano() - sent; rtt > 0 {
		s.rtt.Store(rtt)
		if s.onRTT != nil {
			s.onRTT(time.Duration(rtt))
		}
	}
}

// Ping sends a keepalive ping now (the RTT is updated when its pong arrives).
func (s *Session) Ping() { s.sendPing() }

// RTT is the round trip of the last answered keepalive ping (0: none yet).
func (s *Session) RTT() time.Duration { return time.Duration(s.rtt.Load()) }

// Remote is the peer's address.
func (s *Session) Remote() netip.AddrPort { return s.remote }

// OpenStream opens a new stream (no round trip and no frame of its own: the
// open rides with the stream's first data).
func (s *Session) OpenStream() (*mux.Stream, error) { return s.mux.Open() }

// AcceptStream waits for the peer to open a stream.
func (s *Session) AcceptStream() (*mux.Stream, error) { return s.mux.Accept() }

// NumStreams is the number of open streams.
func (s *Session) NumStreams() int { return s.mux.NumStreams() }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// IsClosed reports whether the session has ended. It is true as soon as the
// multiplexer has died, before watch has closed done, so a stream that failed
// with its session is never taken for a stream refused on a working one.
func (s *Session) IsClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return s.mux.IsClosed()
	}
}

// Close ends the session and every stream on it. It is idempotent and
// waits for the session's own goroutine.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.pmu.Lock()
		close(s.done)
		s.pmu.Unlock()
		s.mux.Close()
		s.ws.Close()
	})
	return nil
}

// Wait waits until the session's goroutines have ended (after Close).
func (s *Session) Wait() { s.wg.Wait() }

// IsClosedErr reports whether err means the session or stream is gone.
func IsClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, mux.ErrReset) || errors.Is(err, os.ErrDeadlineExceeded)
}
