package server

import (
	"net"
	"net/netip"
	"sync"
)

// Default limits (DESIGN §7). A legitimate client holds one tunnel and a
// few during a family switch; these only bound abuse.
const (
	DefaultConnsPerSource    = 64    // TCP connections per source address, before authentication
	DefaultSessionsPerSource = 8     // authenticated tunnels per source address
	DefaultUDPPerSession     = 256   // UDP associations per tunnel
	DefaultMaxStreams        = 32768 // concurrent streams per tunnel
)

// perSource counts things per source address (IPv6 per /64, so one host
// cannot dodge the limit by rotating addresses of its own prefix).
type perSource struct {
	mu sync.Mutex
	n  map[netip.Prefix]int
}

func sourceKey(addr net.Addr) netip.Prefix {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Prefix{}
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// acquire counts one more for key unless limit is reached.
func (p *perSource) acquire(key netip.Prefix, limit int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[netip.Prefix]int{}
	}
	if p.n[key] >= limit {
		return false
	}
	p.n[key]++
	return true
}

func (p *perSource) release(key netip.Prefix) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[key]--; p.n[key] <= 0 {
		delete(p.n, key)
	}
}

// LimitListener wraps ln so that no source address holds more than limit
// connections at once; extra connections are closed at accept. This keeps a
// flood of idle or half-open connections from one host from starving others
// (the HTTP server's header timeout reaps the idle ones).
func LimitListener(ln net.Listener, limit int) net.Listener {
	if limit <= 0 {
		limit = DefaultConnsPerSource
	}
	return &limitListener{Listener: ln, limit: limit}
}

type limitListener struct {
	net.Listener
	limit int
	src   perSource
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := sourceKey(c.RemoteAddr())
		if !l.src.acquire(key, l.limit) {
			c.Close()
			continue
		}
		return &limitConn{Conn: c, release: func() { l.src.release(key) }}, nil
	}
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// WriteConn returns the wrapped plain connection: the tunnel writes frames
// to it directly so that a frame still goes out in one writev.
func (c *limitConn) WriteConn() net.Conn { return c.Conn }

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
