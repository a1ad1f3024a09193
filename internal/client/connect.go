package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/autovpn/autovpn/internal/tunnel"
)

// handshakeTimeout bounds one attempt: TCP connect, TLS and WebSocket upgrade.
const handshakeTimeout = 10 * time.Second

// sessionConn carries a finished tunnel through the Happy Eyeballs race,
// which deals in net.Conns: closing a loser closes its tunnel.
type sessionConn struct {
	net.Conn
	s *tunnel.Session
}

func (sc *sessionConn) Close() error { return sc.s.Close() }

// connect races every server address (both families, ordered by policy and
// by what worked lately) and makes the winner the current tunnel.
func (c *Client) connect(ctx context.Context) error {
	addrs, err := c.serverAddrs(ctx, c.o.Policy)
	if err != nil {
		return err
	}
	s, fam, err := c.race(ctx, addrs, c.o.Policy)
	if err != nil {
		return err
	}
	c.setCurrent(s, fam)
	c.log.Info("tunnel up", "remote", s.Remote(), "family", fam)
	return nil
}

func (c *Client) race(ctx context.Context, addrs []netip.AddrPort, p netx.Policy) (*tunnel.Session, pathsel.Family, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*handshakeTimeout)
	defer cancel()
	h := netx.HappyEyeballs{
		Attempt: c.attempt,
		Delay:   c.o.AttemptDelay,
		Policy:  p,
		Order:   c.mem.Order,
		Report:  c.report,
	}
	conn, won, err := h.DialAddrs(ctx, addrs)
	if err != nil {
		return nil, 0, fmt.Errorf("connect to server: %w", err)
	}
	fam := pathsel.FamilyOf(won.Addr())
	c.ev.HappyEyeballsWinner(fam.String())
	return conn.(*sessionConn).s, fam, nil
}

// report feeds every attempt's outcome into the path memory and metrics.
func (c *Client) report(r netx.AttemptReport) {
	c.mem.Report(r)
	fam := pathsel.FamilyOf(r.Addr.Addr()).String()
	switch {
	case r.Err == nil:
		c.ev.TunnelConnect(fam, "ok")
	case errors.Is(r.Err, netx.ErrOutrun):
		c.ev.TunnelConnect(fam, "timeout")
	default:
		c.ev.TunnelConnect(fam, resultOf(r.Err))
	}
}

func resultOf(err error) string {
	switch {
	case errors.Is(err, tunnel.ErrPinMismatch):
		return "tls_pin_mismatch"
	case errors.Is(err, tunnel.ErrRejected):
		return "auth_failed"
	case netx.CodeOf(err) == netx.Timeout || errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// attempt is one full tunnel attempt to one address.
func (c *Client) attempt(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	s, err := tunnel.Handshake(ctx, conn, tunnel.ClientOptions{
		Prefix:    c.o.Prefix,
		Host:      c.hostHeader(addr),
		TLS:       c.o.TLS,
		TLSPin:    c.o.TLSPin,
		Keepalive: c.o.Keepalive,
		Log:       c.log,
		OnRTT: func(rtt time.Duration) {
			fam := pathsel.FamilyOf(addr.Addr())
			c.ev.TunnelRTT(fam.String(), rtt)
			c.mem.Success(fam, rtt)
		},
	})
	if err != nil {
		return nil, err
	}
	return &sessionConn{Conn: conn, s: s}, nil
}

// hostHeader is the Host (and TLS server name) for addr: the configured
// host name when the address came from one, else the address.
func (c *Client) hostHeader(addr netip.AddrPort) string {
	for _, h := range c.o.Servers {
		if _, err := netip.ParseAddr(h); err != nil {
			return net.JoinHostPort(h, strconv.Itoa(int(c.o.Port)))
		}
	}
	return addr.String()
}

// serverAddrs lists every address of every server the policy allows.
// Host names are resolved (A and AAAA in parallel); a name that fails is
// skipped while others remain.
func (c *Client) serverAddrs(ctx context.Context, p netx.Policy) ([]netip.AddrPort, error) {
	var (
		mu   sync.Mutex
		out  []netip.AddrPort
		errs []error
		wg   sync.WaitGroup
		seen = map[netip.AddrPort]bool{}
		add  = func(ip netip.Addr) {
			ap := netip.AddrPortFrom(ip.Unmap(), c.o.Port)
			if p.Allows(ap.Addr()) && !seen[ap] {
				seen[ap] = true
				out = append(out, ap)
			}
		}
	)
	for _, h := range c.o.Servers {
		if ip, err := netip.ParseAddr(h); err == nil {
			add(ip)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ips, err := c.lookup(ctx, h)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("resolve server %s: %w", h, err))
				return
			}
			for _, ip := range ips {
				add(ip)
			}
		}()
	}
	wg.Wait()
	if len(out) == 0 {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, fmt.Errorf("no server address usable with policy %s", p)
	}
	return out, nil
}

func (c *Client) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	look := c.o.Lookup
	if look == nil {
		look = net.DefaultResolver.LookupNetIP
	}
	var ips []netip.Addr
	var errs []error
	for _, network := range []string{"ip4", "ip6"} {
		got, err := look(ctx, network, host)
		if err != nil {
			errs = append(errs, err)
		}
		ips = append(ips, got...)
	}
	if len(ips) == 0 {
		return nil, errors.Join(errs...)
	}
	return ips, nil
}

// maybeReprobe tries the preferred family again when the tunnel runs on the
// other one and the preferred one's failure is old enough; on success the
// new tunnel takes new streams and the old one drains.
func (c *Client) maybeReprobe(ctx context.Context) {
	c.mu.Lock()
	fam := c.curFam
	c.mu.Unlock()
	pref := pathsel.IPv4
	if c.o.Policy.PrefersIPv6() {
		pref = pathsel.IPv6
	}
	if fam == pref || !c.mem.NeedsProbe(pref) {
		return
	}
	only := netx.IPv4Only
	if pref == pathsel.IPv6 {
		only = netx.IPv6Only
	}
	addrs, err := c.serverAddrs(ctx, only)
	if err != nil {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		s, got, err := c.race(ctx, addrs, only)
		if err != nil {
			c.log.Debug("re-probe of preferred family failed", "family", pref, "err", err)
			return
		}
		c.log.Info("preferred family works again, moving new streams to it", "family", got, "remote", s.Remote())
		c.setCurrent(s, got)
	}()
}
