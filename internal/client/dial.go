package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/mux"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/autovpn/autovpn/internal/tunnel"
	"github.com/autovpn/autovpn/internal/wire"
)

// open starts a stream of kind to dst on the current tunnel, sends the
// open request (with extra, e.g. a resolve request, in the same frame) and
// waits for the server's reply. A tunnel that fails here is dropped and the
// open is retried once on a fresh one. A stream refused on a working tunnel
// (a stream limit on either side) fails this open alone: the tunnel and
// every other stream on it go on.
func (c *Client) open(ctx context.Context, kind wire.Kind, dst wire.Addr, extra []byte) (*mux.Stream, wire.Reply, error) {
	subject := dst.String()
	if subject == "" {
		subject = kind.String()
	}
	msg, err := wire.AppendOpen(make([]byte, 0, 64+len(extra)), wire.Open{Kind: kind, Policy: c.o.Policy, Addr: dst})
	if err != nil {
		return nil, wire.Reply{}, &netx.DialError{Code: netx.BadAddress, Addr: subject, Msg: err.Error()}
	}
	msg = append(msg, extra...)
	ctx, cancel := context.WithTimeout(ctx, c.o.OpenTimeout)
	defer cancel()
	for try := 0; ; try++ {
		sess, err := c.waitTunnel(ctx)
		if err != nil {
			return nil, wire.Reply{}, &netx.DialError{Code: netx.TunnelDown, Addr: subject, Msg: err.Error()}
		}
		st, rep, err := openOn(ctx, sess, msg)
		if err == nil && rep.Code == netx.ServerDraining {
			st.Close()
			c.retire(sess)
			if try == 1 {
				return nil, wire.Reply{}, &netx.DialError{Code: netx.ServerDraining, Addr: subject, Msg: rep.Msg}
			}
			continue
		}
		if err == nil {
			return st, rep, nil
		}
		if ctx.Err() != nil {
			return nil, wire.Reply{}, &netx.DialError{Code: netx.Timeout, Addr: subject, Msg: "no answer from server: " + ctx.Err().Error()}
		}
		if !sess.IsClosed() {
			return nil, wire.Reply{}, &netx.DialError{Code: netx.GeneralFailure, Addr: subject, Msg: "stream refused on a working tunnel: " + err.Error()}
		}
		c.dropCurrent(sess, fmt.Errorf("stream open failed: %w", err))
		if try == 1 {
			return nil, wire.Reply{}, &netx.DialError{Code: netx.TunnelDown, Addr: subject, Msg: err.Error()}
		}
	}
}

func openOn(ctx context.Context, sess *tunnel.Session, msg []byte) (*mux.Stream, wire.Reply, error) {
	st, err := sess.OpenStream()
	if err != nil {
		return nil, wire.Reply{}, err
	}
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { st.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := st.Write(msg); err != nil {
		st.Close()
		return nil, wire.Reply{}, err
	}
	rep, err := wire.ReadReply(st)
	if err != nil {
		st.Close()
		return nil, wire.Reply{}, err
	}
	st.SetDeadline(time.Time{})
	return st, rep, nil
}

// DialContext opens a TCP connection to addr ("host:port") through the
// tunnel. Names are resolved by the server. Errors are *netx.DialError.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dst, err := wire.ParseAddr(addr)
	if err != nil {
		return nil, &netx.DialError{Code: netx.BadAddress, Addr: addr, Msg: err.Error()}
	}
	st, rep, err := c.open(ctx, wire.KindTCP, dst, nil)
	if err != nil {
		c.ev.StreamFailure("tcp", metrics.FamilyOr(dst.IP, metrics.TunnelFamily(c.current())), metrics.ReasonOf(err))
		return nil, err
	}
	if err := rep.Err(addr); err != nil {
		st.Close()
		c.ev.StreamFailure("tcp", metrics.FamilyOr(dst.IP, metrics.AddrFamily(st.RemoteAddr())), metrics.Reason(rep.Code))
		return nil, err
	}
	fam := ""
	if rep.Addr.IP.IsValid() {
		fam = pathsel.FamilyOf(rep.Addr.IP).String()
	}
	c.ev.StreamOpen("tcp", fam)
	return &streamConn{Stream: st, remote: rep.Addr, c: c, kind: "tcp", fam: fam}, nil
}

// streamConn is a tunnelled TCP connection; RemoteAddr is the address the
// server actually dialled.
type streamConn struct {
	*mux.Stream
	remote wire.Addr
	c      *Client
	kind   string
	fam    string
	once   sync.Once
	up     atomic.Int64 // bytes written into the tunnel
	down   atomic.Int64 // bytes read from it
}

func (s *streamConn) Write(p []byte) (int, error) {
	n, err := s.Stream.Write(p)
	s.up.Add(int64(n))
	return n, err
}

func (s *streamConn) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	s.down.Add(int64(n))
	return n, err
}

// WriteTo keeps the stream's zero-copy hand-over and counts what it moved.
func (s *streamConn) WriteTo(w io.Writer) (int64, error) {
	n, err := s.Stream.WriteTo(w)
	s.down.Add(n)
	return n, err
}

func (s *streamConn) RemoteAddr() net.Addr {
	if s.remote.IP.IsValid() {
		return &net.TCPAddr{IP: s.remote.IP.AsSlice(), Port: int(s.remote.Port)}
	}
	return s.Stream.RemoteAddr()
}

func (s *streamConn) Close() error {
	s.once.Do(func() {
		s.c.ev.StreamClosed(s.kind, s.fam)
		s.c.ev.Bytes("up", s.fam, s.up.Load())
		s.c.ev.Bytes("down", s.fam, s.down.Load()+s.Stream.SinkBytes())
	})
	return s.Stream.Close()
}

// ListenPacket opens a UDP association through the tunnel: every datagram
// names its own destination (resolved and policy-checked by the server).
func (c *Client) ListenPacket(ctx context.Context) (netx.PacketConn, error) {
	st, rep, err := c.open(ctx, wire.KindUDP, wire.Addr{}, nil)
	if err != nil {
		c.ev.StreamFailure("udp", metrics.TunnelFamily(c.current()), metrics.ReasonOf(err))
		return nil, err
	}
	if err := rep.Err("udp"); err != nil {
		st.Close()
		c.ev.StreamFailure("udp", metrics.AddrFamily(st.RemoteAddr()), metrics.Reason(rep.Code))
		return nil, err
	}
	c.ev.StreamOpen("udp", metrics.AddrFamily(st.RemoteAddr())) // the tunnel's: each datagram names its own destination
	return &packetConn{st: st, c: c, rbuf: make([]byte, wire.MaxDatagram)}, nil
}

type packetConn struct {
	st   *mux.Stream
	c    *Client
	wmu  sync.Mutex
	wbuf []byte
	rmu  sync.Mutex
	rbuf []byte
	once sync.Once
}

func (p *packetConn) WriteTo(b []byte, to string) (int, error) {
	dst, err := wire.ParseAddr(to)
	if err != nil {
		return 0, err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.wbuf, err = wire.AppendDatagram(p.wbuf[:0], dst, b)
	if err != nil {
		return 0, err
	}
	if _, err := p.st.Write(p.wbuf); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *packetConn) ReadFrom(b []byte) (int, string, error) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	src, payload, err := wire.ReadDatagram(p.st, p.rbuf)
	if err != nil {
		return 0, "", err
	}
	return copy(b, payload), src.String(), nil
}

func (p *packetConn) Close() error {
	p.once.Do(func() { p.c.ev.StreamClosed("udp", metrics.AddrFamily(p.st.RemoteAddr())) })
	return p.st.Close()
}

// Resolve asks the server for A and AAAA records of names (at most
// wire.MaxNames per call).
func (c *Client) Resolve(ctx context.Context, names []string) ([]wire.NameAnswer, error) {
	req, err := wire.AppendResolveRequest(nil, names)
	if err != nil {
		return nil, err
	}
	st, rep, err := c.open(ctx, wire.KindResolve, wire.Addr{}, req)
	if err != nil {
		c.ev.StreamFailure("resolve", metrics.TunnelFamily(c.current()), metrics.ReasonOf(err))
		return nil, err
	}
	defer st.Close()
	if err := rep.Err("resolve"); err != nil {
		c.ev.StreamFailure("resolve", metrics.AddrFamily(st.RemoteAddr()), metrics.Reason(rep.Code))
		return nil, err
	}
	fam := metrics.AddrFamily(st.RemoteAddr()) // a resolve stream counts under its tunnel's family
	c.ev.StreamOpen("resolve", fam)
	defer c.ev.StreamClosed("resolve", fam)
	if dl, ok := ctx.Deadline(); ok {
		st.SetReadDeadline(dl)
	}
	ans, err := wire.ReadResolveAnswer(st, len(names))
	if err == nil {
		metrics.ResolveAnswers(c.ev, ans)
	}
	return ans, err
}

// LookupAddrs resolves one name through the server.
func (c *Client) LookupAddrs(ctx context.Context, host string) ([]wire.Record, error) {
	ans, err := c.Resolve(ctx, []string{host})
	if err != nil {
		return nil, err
	}
	if ans[0].Code != netx.OK {
		return nil, &netx.DialError{Code: ans[0].Code, Addr: host, Msg: "resolve " + host + " at server: " + ans[0].Code.String()}
	}
	return ans[0].Records, nil
}

// SetReadDeadline bounds the next ReadFrom.
func (p *packetConn) SetReadDeadline(t time.Time) error { return p.st.SetReadDeadline(t) }
