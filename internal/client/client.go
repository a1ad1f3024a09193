// Package client keeps the tunnel to the server up over whichever address
// family works — Happy Eyeballs across every server address, a memory of
// what worked, background re-probing of a broken family, reconnect with
// jittered backoff — and exposes it as plain dial functions: DialContext for
// TCP, ListenPacket for UDP and Resolve for names. The proxies take those
// functions and never see the tunnel.
package client

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/autovpn/autovpn/internal/tunnel"
)

// Options configure a Client.
type Options struct {
	Servers   []string // server addresses: IP literals or host names (A + AAAA are used)
	Port      uint16
	Prefix    string // secret path prefix (never logged)
	TLS       bool
	TLSPin    []byte
	Policy    netx.Policy
	Keepalive time.Duration // tunnel ping interval; 0 → 25 s
	// AttemptDelay is the Happy Eyeballs Connection Attempt Delay (0 → 250 ms).
	AttemptDelay time.Duration
	// OpenTimeout bounds one stream open (0 → 20 s).
	OpenTimeout time.Duration
	// Lookup resolves server host names; nil → the system resolver. (The
	// server's own name is a "system" lookup: it never goes through the tunnel.)
	Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	Log    *slog.Logger
	Events Events // nil: no metrics
}

// Events are the client's metric hooks (metrics.Client implements them).
type Events interface {
	TunnelConnect(family, result string)
	TunnelRTT(family string, rtt time.Duration)
	HappyEyeballsWinner(family string)
	StreamOpen(kind, family string)
	StreamFailure(kind, family, reason string)
	StreamClosed(kind, family string)
	DNSAnswers(qtype string, n int)
	TunnelsUp(family string, n int)
	Bytes(direction, family string, n int64)
}

// Client maintains the tunnel. Create it with New, start it with Run.
type Client struct {
	o   Options
	log *slog.Logger
	mem *pathsel.Memory
	ev  Events

	mu      sync.Mutex
	cur     *tunnel.Session // the tunnel new streams use; nil while down
	curFam  pathsel.Family
	old     []*tunnel.Session // replaced tunnels draining their streams
	settled chan struct{}     // closed and replaced after every connect attempt and tunnel change
	lastErr error
	kick    chan struct{}
	upSince time.Time
	bg      sync.WaitGroup // background re-probes
}

// New validates o and returns a Client that is not yet running.
func New(o Options) (*Client, error) {
	if len(o.Servers) == 0 {
		return nil, errors.New("client: no server address (set SERVER_IP or SERVER_IP_V6)")
	}
	if o.Prefix == "" {
		return nil, errors.New("client: PREFIX is empty")
	}
	if o.Keepalive <= 0 {
		o.Keepalive = tunnel.DefaultKeepalive
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = 20 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		o:       o,
		log:     o.Log,
		mem:     pathsel.New(o.Policy, pathsel.Options{ProbeInterval: probeAfter(o.Keepalive)}),
		ev:      o.Events,
		settled: make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
	if c.ev == nil {
		c.ev = nopEvents{}
	}
	return c, nil
}

// Memory is the per-family path memory (for status and tests).
func (c *Client) Memory() *pathsel.Memory { return c.mem }

// Run keeps a tunnel up until ctx ends, then closes every tunnel.
func (c *Client) Run(ctx context.Context) error {
	defer c.closeAll()
	defer c.bg.Wait()
	backoff := newBackoff(100*time.Millisecond, 5*time.Second)
	probe := time.NewTicker(c.probeInterval())
	defer probe.Stop()
	for {
		sess := c.current()
		if sess == nil {
			if err := c.connect(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				c.setErr(err)
				wait := backoff.next()
				c.log.Warn("tunnel connect failed", "err", err, "retry_in", wait.Round(time.Millisecond))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				case <-c.kick:
				}
				continue
			}
			backoff.reset()
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-sess.Done():
			c.dropCurrent(sess, errors.New("tunnel closed"))
		case <-probe.C:
			c.reapOld()
			c.maybeReprobe(ctx)
		case <-c.kick:
		}
	}
}

// probeAfter is how old a family's failure must be before it is probed
// again: five keepalive intervals, at most 30 s.
func probeAfter(keepalive time.Duration) time.Duration {
	return min(5*keepalive, 30*time.Second)
}

func (c *Client) probeInterval() time.Duration {
	if d := c.o.Keepalive; d < 30*time.Second {
		return d
	}
	return 30 * time.Second
}

// current returns the tunnel in use, or nil.
func (c *Client) current() *tunnel.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.IsClosed() {
		return nil
	}
	return c.cur
}

// setErr records a failed connect attempt and wakes dials waiting for it.
func (c *Client) setErr(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.settleLocked()
	c.mu.Unlock()
}

// settleLocked wakes everyone waiting for the outcome of an attempt.
func (c *Client) settleLocked() {
	close(c.settled)
	c.settled = make(chan struct{})
}

// setCurrent makes s the tunnel for new streams; the previous one drains.
func (c *Client) setCurrent(s *tunnel.Session, fam pathsel.Family) {
	c.mu.Lock()
	prev := c.cur
	if prev != nil && !prev.IsClosed() {
		c.old = append(c.old, prev)
		c.ev.TunnelsUp(c.curFam.String(), 0)
	}
	c.cur, c.curFam, c.lastErr, c.upSince = s, fam, nil, time.Now()
	c.settleLocked()
	c.mu.Unlock()
	c.ev.TunnelsUp(fam.String(), 1)
}

// dropCurrent forgets s (if it is still current) after it failed.
//
// The loss is not held against s's family in the path memory: an
// established tunnel also closes when the server restarts or drops it, which
// says nothing about the family, and marking it broken would send the next
// race to the other family first, possibly one that never worked. (A
// session that went silent cannot be told apart here: tunnel.Session does
// not say why it ended.) The reconnect's own attempts record whether the
// family works.
func (c *Client) dropCurrent(s *tunnel.Session, why error) {
	c.mu.Lock()
	if c.cur == s {
		c.cur = nil
		c.lastErr = why
		c.ev.TunnelsUp(c.curFam.String(), 0)
		c.log.Warn("tunnel lost", "remote", s.Remote(), "family", c.curFam, "err", why)
	}
	c.mu.Unlock()
	s.Close()
	c.wake()
}

// retire stops using s for new streams (its server is shutting down) but
// lets the streams on it finish; Run connects anew.
func (c *Client) retire(s *tunnel.Session) {
	c.mu.Lock()
	if c.cur == s {
		c.cur = nil
		c.old = append(c.old, s)
		c.ev.TunnelsUp(c.curFam.String(), 0)
		c.log.Info("server is shutting down; new streams go to a new tunnel", "remote", s.Remote())
	}
	c.mu.Unlock()
	c.wake()
}

// wake asks Run to (re)connect now.
func (c *Client) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// reapOld closes drained tunnels that no stream uses any more.
func (c *Client) reapOld() {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.old[:0]
	for _, s := range c.old {
		if s.NumStreams() == 0 || s.IsClosed() {
			s.Close()
			continue
		}
		keep = append(keep, s)
	}
	c.old = keep
}

func (c *Client) closeAll() {
	c.mu.Lock()
	all := append([]*tunnel.Session{}, c.old...)
	if c.cur != nil {
		all = append(all, c.cur)
	}
	c.cur, c.old = nil, nil
	c.mu.Unlock()
	for _, s := range all {
		s.Close()
		s.Wait()
	}
}

// waitTunnel returns the current tunnel. When there is none it asks Run
// for an immediate attempt (skipping any backoff) and waits for that one
// outcome: a dial never hangs on a server that is down, and never fails
// while a working tunnel is being set up.
func (c *Client) waitTunnel(ctx context.Context) (*tunnel.Session, error) {
	for tried := false; ; tried = true {
		c.mu.Lock()
		s, ch, lastErr := c.cur, c.settled, c.lastErr
		c.mu.Unlock()
		if s != nil && !s.IsClosed() {
			return s, nil
		}
		if tried {
			if lastErr == nil {
				lastErr = errors.New("no tunnel to the server")
			}
			return nil, lastErr
		}
		c.wake()
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return nil, lastErr
		case <-ch:
		}
	}
}

// backoff is jittered exponential backoff ("full jitter" over [d/2, d]).
type backoff struct{ min, max, cur time.Duration }

func newBackoff(min, max time.Duration) *backoff { return &backoff{min: min, max: max, cur: min} }

func (b *backoff) next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	return d/2 + rand.N(d/2+1)
}

func (b *backoff) reset() { b.cur = b.min }

type nopEvents struct{}

func (nopEvents) TunnelConnect(string, string)         {}
func (nopEvents) TunnelRTT(string, time.Duration)      {}
func (nopEvents) HappyEyeballsWinner(string)           {}
func (nopEvents) StreamOpen(string, string)            {}
func (nopEvents) StreamFailure(string, string, string) {}
func (nopEvents) StreamClosed(string, string)          {}
func (nopEvents) DNSAnswers(string, int)               {}
func (nopEvents) TunnelsUp(string, int)                {}
func (nopEvents) Bytes(string, string, int64)          {}
