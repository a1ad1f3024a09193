package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/mux"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// DefaultUDPIdle ends an association that has moved no datagram either
// way for this long.
const DefaultUDPIdle = 5 * time.Minute

// serveUDP runs one UDP association: datagrams framed on the stream, sent
// from one local UDP socket. Every datagram's destination is resolved (names
// are cached for the association) and checked against the policy.
func (s *Server) serveUDP(st *mux.Stream, open wire.Open, state *sessionState) {
	limit := orDefault(s.MaxUDPPerSession, DefaultUDPPerSession)
	if n := state.udp.Add(1); int(n) > limit {
		state.udp.Add(-1)
		s.fail(st, wire.KindUDP, &netx.DialError{Code: netx.GeneralFailure, Addr: "udp", Msg: "too many UDP associations on this tunnel"})
		return
	}
	defer state.udp.Add(-1)
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		s.fail(st, wire.KindUDP, &netx.DialError{Code: netx.GeneralFailure, Addr: "udp", Msg: "open udp socket: " + err.Error()})
		return
	}
	defer pc.Close()
	if s.Events != nil {
		fam := metrics.AddrFamily(st.RemoteAddr()) // the tunnel's: each datagram names its own destination
		s.Events.StreamOpen("udp", fam)
		defer s.Events.StreamClosed("udp", fam)
	}
	la := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := s.reply(st, wire.Reply{Code: netx.OK, Addr: wire.Addr{IP: la.Addr(), Port: la.Port()}}); err != nil {
		return
	}
	a := &udpAssoc{s: s, st: st, pc: pc, policy: open.Policy, names: map[string]netip.Addr{}, idle: s.UDPIdle}
	if a.idle <= 0 {
		a.idle = DefaultUDPIdle
	}
	a.touch()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.downstream()
		st.Close()
	}()
	a.upstream()
	pc.Close()
	wg.Wait()
}

type udpAssoc struct {
	s      *Server
	st     *mux.Stream
	pc     *net.UDPConn
	policy netx.Policy
	names  map[string]netip.Addr // only touched by upstream
	idle   time.Duration
	last   atomic.Int64 // unix nanoseconds of the last datagram either way
}

func (a *udpAssoc) touch() { a.last.Store(time.Now().UnixNano()) }

// expiry is when the association ends if no datagram moves before it.
func (a *udpAssoc) expiry() time.Time { return time.Unix(0, a.last.Load()).Add(a.idle) }

// goesOn reports whether a read that failed with err may simply be tried
// again: its deadline passed while the other direction was still busy.
func (a *udpAssoc) goesOn(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(a.expiry())
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// upstream: stream → destinations.
func (a *udpAssoc) upstream() {
	buf := make([]byte, wire.MaxDatagram)
	cr := &countingReader{r: a.st}
	for {
		a.st.SetReadDeadline(a.expiry())
		cr.n = 0
		dst, payload, err := wire.ReadDatagram(cr, buf)
		if err != nil {
			if cr.n == 0 && a.goesOn(err) {
				continue // only the other direction moved; nothing half read
			}
			return
		}
		a.touch()
		ap, ok := a.destination(dst)
		if !ok {
			continue
		}
		if _, err := a.pc.WriteToUDPAddrPort(payload, ap); err != nil {
			a.s.log().Debug("udp send failed", "dst", ap, "err", err)
		}
	}
}

// destination resolves and checks one datagram's destination.
func (a *udpAssoc) destination(dst wire.Addr) (netip.AddrPort, bool) {
	ip := dst.IP
	if !ip.IsValid() {
		var ok bool
		if ip, ok = a.names[dst.Name]; !ok {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			recs, err := a.s.Resolver.LookupAddrs(ctx, dst.Name)
			cancel()
			if err != nil {
				a.s.log().Debug("udp destination not resolved", "name", dst.Name, "err", err)
				return netip.AddrPort{}, false
			}
			for _, r := range recs {
				if a.policy.Allows(r.IP) && (!ip.IsValid() || r.IP.Unmap().Is4() != a.policy.PrefersIPv6()) {
					ip = r.IP
				}
			}
			if !ip.IsValid() {
				return netip.AddrPort{}, false
			}
			if len(a.names) < 256 {
				a.names[dst.Name] = ip
			}
		}
	}
	ap := netip.AddrPortFrom(ip.Unmap(), dst.Port)
	if err := a.s.Policy.Check(ap, "udp"); err != nil {
		if a.s.Events != nil {
			a.s.Events.DestinationDenied("udp")
		}
		a.s.log().Debug("udp datagram denied", "err", err)
		return netip.AddrPort{}, false
	}
	return ap, true
}

// downstream: socket → stream, each datagram with its source.
func (a *udpAssoc) downstream() {
	buf := make([]byte, wire.MaxDatagram)
	out := make([]byte, 0, wire.MaxDatagram+32)
	for {
		a.pc.SetReadDeadline(a.expiry())
		n, src, err := a.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if a.goesOn(err) {
				continue
			}
			return
		}
		a.touch()
		out, err = wire.AppendDatagram(out[:0], wire.Addr{IP: src.Addr().Unmap(), Port: src.Port()}, buf[:n])
		if err != nil {
			continue
		}
		if _, err := a.st.Write(out); err != nil {
			return
		}
	}
}
