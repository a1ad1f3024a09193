package testbed

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// RelayConfig configures DelayRelay.
type RelayConfig struct {
	Listen string         // listen address, an IP literal and port, e.g. "127.0.0.1:0"
	Target netip.AddrPort // where each accepted connection is relayed to
	// Up delays bytes going from the client to Target, Down those coming
	// back; each chunk is held for exactly that long, so the delays add
	// latency without limiting throughput.
	Up, Down time.Duration
}

// Relay is a running DelayRelay.
type Relay struct {
	Addr netip.AddrPort // where it listens
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	open map[net.Conn]bool
}

// DelayRelay starts a userspace TCP relay that adds latency, since this
// kernel has no tc netem. It listens and dials inside h's namespace, or in
// the test's own when h is nil, and stops at cleanup, closing its
// connections. Half-closes are passed on after the same delay.
func DelayRelay(t testing.TB, h *Host, cfg RelayConfig) *Relay {
	t.Helper()
	r := &Relay{open: map[net.Conn]bool{}}
	dial := (&net.Dialer{}).DialContext
	if h == nil {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			t.Fatalf("delay relay: listen %s: %v", cfg.Listen, err)
		}
		r.ln = ln
	} else {
		r.ln = h.Listen(t, "tcp", cfg.Listen)
		dial = h.DialContext
	}
	r.Addr = r.ln.Addr().(*net.TCPAddr).AddrPort()
	r.wg.Add(1)
	go r.serve(dial, cfg)
	t.Cleanup(r.Close)
	return r
}

// Close stops the relay and waits for its goroutines.
func (r *Relay) Close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.open {
		c.Close()
	}
	r.open = nil
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *Relay) serve(dial func(context.Context, string, string) (net.Conn, error), cfg RelayConfig) {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.relay(in, dial, cfg)
		}()
	}
}

func (r *Relay) relay(in net.Conn, dial func(context.Context, string, string) (net.Conn, error), cfg RelayConfig) {
	if !r.track(in, true) {
		in.Close()
		return
	}
	defer r.track(in, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	out, err := dial(ctx, "tcp", cfg.Target.String())
	cancel()
	if err != nil {
		in.Close()
		return
	}
	defer r.track(out, false)
	if !r.track(out, true) {
		in.Close()
		out.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); delayedCopy(out, in, cfg.Up) }()
	go func() { defer wg.Done(); delayedCopy(in, out, cfg.Down) }()
	wg.Wait()
	in.Close()
	out.Close()
}

// track adds or removes c from the open set; adding fails once the relay
// is closed (the listener closed and the set emptied).
func (r *Relay) track(c net.Conn, add bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !add {
		delete(r.open, c)
		return true
	}
	if r.open == nil {
		return false
	}
	r.open[c] = true
	return true
}

type chunk struct {
	b   []byte // nil: end of stream
	due time.Time
}

// delayedCopy copies src to dst, each chunk delay after it was read, and
// half-closes dst delay after src ends. On a write error it closes both.
func delayedCopy(dst, src net.Conn, delay time.Duration) {
	ch := make(chan chunk, 256)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				ch <- chunk{nil, time.Now().Add(delay)}
				return
			}
		}
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for c := range ch {
		if d := time.Until(c.due); d > 0 {
			timer.Reset(d)
			<-timer.C
		}
		if c.b == nil {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			continue
		}
		if _, err := dst.Write(c.b); err != nil {
			dst.Close()
			src.Close()
		}
	}
}
