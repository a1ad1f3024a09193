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

// connectTimeout bounds an attempt's TCP connect. A black-holed address
// never answers; without this bound the race would wait the whole
// handshakeTimeout on it after every other address failed (refused during a
// server restart, say), where giving up lets Run retry the family that works.
const connectTimeout = 3 * time.Second

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
	addrs, hosts, err := c.serverAddrs(ctx, c.o.Policy)
	if err != nil {
		return err
	}
	s, fam, err := c.race(ctx, addrs, hosts, c.o.Policy)
	if err != nil {
		return err
	}
	c.setCurrent(s, fam)
	c.log.Info("tunnel up", "remote", s.Remote(), "family", fam)
	return nil
}

// race dials addrs by Happy Eyeballs; hosts gives each address the server
// host name it was resolved from (none for a literal).
func (c *Client) race(ctx context.Context, addrs []netip.AddrPort, hosts map[netip.AddrPort]string, p netx.Policy) (*tunnel.Session, pathsel.Family, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*handshakeTimeout)
	defer cancel()
	h := netx.HappyEyeballs{
		Attempt: func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
			return c.attempt(ctx, addr, hosts[addr])
		},
		Delay:  c.o.AttemptDelay,
		Policy: p,
		Order:  c.mem.Order,
		Report: c.report,
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

// attempt is one full tunnel attempt to one address; host is the server
// host name addr was resolved from, "" for a literal.
func (c *Client) attempt(ctx context.Context, addr netip.AddrPort, host string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	d := net.Dialer{Timeout: connectTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	s, err := tunnel.Handshake(ctx, conn, tunnel.ClientOptions{
		Prefix:    c.o.Prefix,
		Host:      c.hostHeader(host, addr),
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

// hostHeader is the Host (and TLS server name) for addr: host, the server
// host name addr was resolved from (each member of a pool keeps its own).
// A literal address takes the first host name configured, as before: the
// usual SERVER_IP=name with SERVER_IP_V6=literal is one server, whose
// certificate carries that name. With no name at all, the address itself.
func (c *Client) hostHeader(host string, addr netip.AddrPort) string {
	if host == "" {
		for _, h := range c.o.Servers {
			if _, err := netip.ParseAddr(h); err != nil {
				host = h
				break
			}
		}
	}
	if host == "" {
		return addr.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(addr.Port())))
}

// serverAddrs lists every address of every server the policy allows, and
// for each address resolved from a host name, that name (a pool's members
// each keep their own; literals have none). Host names are resolved (A and
// AAAA in parallel); a name that fails is skipped while others remain.
func (c *Client) serverAddrs(ctx context.Context, p netx.Policy) ([]netip.AddrPort, map[netip.AddrPort]string, error) {
	var (
		mu    sync.Mutex
		out   []netip.AddrPort
		hosts = map[netip.AddrPort]string{}
		errs  []error
		wg    sync.WaitGroup
		seen  = map[netip.AddrPort]bool{}
		add   = func(ip netip.Addr, host string) {
			ap := netip.AddrPortFrom(ip.Unmap(), c.o.Port)
			if p.Allows(ap.Addr()) && !seen[ap] {
				seen[ap] = true
				out = append(out, ap)
				if host != "" {
					hosts[ap] = host
				}
			}
		}
	)
	for _, h := range c.o.Servers {
		if ip, err := netip.ParseAddr(h); err == nil {
			mu.Lock() // lookups of earlier names may be adding already
			add(ip, "")
			mu.Unlock()
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
				add(ip, h)
			}
		}()
	}
	wg.Wait()
	if len(out) == 0 {
		if len(errs) > 0 {
			return nil, nil, errors.Join(errs...)
		}
		return nil, nil, fmt.Errorf("no server address usable with policy %s", p)
	}
	return out, hosts, nil
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
	addrs, hosts, err := c.serverAddrs(ctx, only)
	if err != nil {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		s, got, err := c.race(ctx, addrs, hosts, only)
		if err != nil {
			c.log.Debug("re-probe of preferred family failed", "family", pref, "err", err)
			return
		}
		c.log.Info("preferred family works again, moving new streams to it", "family", got, "remote", s.Remote())
		c.setCurrent(s, got)
	}()
}
