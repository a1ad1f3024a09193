package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/mux"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

func (s *Server) openTimeout() time.Duration {
	if s.OpenTimeout > 0 {
		return s.OpenTimeout
	}
	return 15 * time.Second
}

func (s *Server) serveStream(st *mux.Stream, state *sessionState) {
	defer st.Close()
	st.SetReadDeadline(time.Now().Add(s.openTimeout()))
	open, err := wire.ReadOpen(st)
	if err != nil {
		s.log().Debug("bad stream open", "err", err)
		var code netx.Code = netx.GeneralFailure
		if errors.Is(err, wire.ErrKind) {
			code = netx.Unsupported
		}
		s.reply(st, wire.Reply{Code: code, Msg: err.Error()})
		return
	}
	st.SetReadDeadline(time.Time{})
	switch open.Kind {
	case wire.KindTCP:
		s.serveTCP(st, open)
	case wire.KindUDP:
		s.serveUDP(st, open, state)
	case wire.KindResolve:
		s.serveResolve(st, state)
	}
}

func (s *Server) reply(st *mux.Stream, r wire.Reply) error {
	b, err := wire.AppendReply(make([]byte, 0, 64), r)
	if err != nil {
		return err
	}
	_, err = st.Write(b)
	return err
}

// fail answers an open with an error and counts it.
func (s *Server) fail(st *mux.Stream, kind wire.Kind, err error) {
	code := netx.CodeOf(err)
	if code == netx.OK {
		code = netx.GeneralFailure
	}
	if s.Events != nil {
		s.Events.StreamFailure(kind.String(), metrics.FailureFamily(err, st.RemoteAddr()), metrics.Reason(code))
		if code == netx.Denied {
			s.Events.DestinationDenied(kind.String())
		}
	}
	msg := err.Error()
	var de *netx.DialError
	if errors.As(err, &de) && de.Msg != "" {
		msg = de.Msg
	}
	s.reply(st, wire.Reply{Code: code, Msg: msg})
}

// candidates resolves a destination and keeps the addresses the policy
// allows. The error carries the result code.
func (s *Server) candidates(ctx context.Context, a wire.Addr, network string) ([]netip.AddrPort, error) {
	var ips []netip.Addr
	if a.IP.IsValid() {
		ips = []netip.Addr{a.IP}
	} else {
		recs, err := s.Resolver.LookupAddrs(ctx, a.Name)
		if err != nil {
			code := netx.NotFound
			if errors.Is(err, context.DeadlineExceeded) {
				code = netx.Timeout
			}
			return nil, &netx.DialError{Code: code, Addr: a.String(), Msg: "resolve " + a.Name + ": " + err.Error()}
		}
		for _, r := range recs {
			ips = append(ips, r.IP)
		}
	}
	var out []netip.AddrPort
	var denied error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), a.Port)
		if err := s.Policy.Check(ap, network); err != nil {
			denied = err
			continue
		}
		out = append(out, ap)
	}
	if len(out) == 0 {
		if denied != nil {
			return nil, &netx.DialError{Code: netx.Denied, Addr: a.String(), Msg: denied.Error()}
		}
		return nil, &netx.DialError{Code: netx.NotFound, Addr: a.String(), Msg: "no A or AAAA record for " + a.Name}
	}
	return out, nil
}

func (s *Server) serveTCP(st *mux.Stream, open wire.Open) {
	ctx, cancel := context.WithTimeout(context.Background(), s.openTimeout())
	addrs, err := s.candidates(ctx, open.Addr, "tcp")
	if err != nil {
		cancel()
		s.fail(st, wire.KindTCP, err)
		return
	}
	if err := policyExcludes(open.Policy, addrs); err != nil {
		cancel()
		s.fail(st, wire.KindTCP, err)
		return
	}
	d := s.dialer(open.Policy)
	conn, got, err := d.DialAddrs(ctx, addrs)
	cancel()
	if err != nil {
		s.fail(st, wire.KindTCP, explainFamily(err, addrs))
		return
	}
	fam := familyOf(got.Addr())
	if s.Events != nil {
		s.Events.StreamOpen("tcp", fam)
		defer s.Events.StreamClosed("tcp", fam)
	}
	if err := s.reply(st, wire.Reply{Code: netx.OK, Addr: wire.Addr{IP: got.Addr(), Port: got.Port()}}); err != nil {
		conn.Close()
		return
	}
	up, down, _ := netx.Relay(st, conn)
	if s.Events != nil {
		s.Events.Bytes("up", fam, up)
		s.Events.Bytes("down", fam, down)
	}
}

func (s *Server) dialer(p netx.Policy) *netx.HappyEyeballs {
	d := netx.HappyEyeballs{}
	if s.Dialer != nil {
		d = *s.Dialer
	}
	d.Policy = p
	return &d
}

// policyExcludes says so when the client's family policy rules out every
// address of the destination, so the error names the client's setting
// rather than the server's routes.
func policyExcludes(p netx.Policy, addrs []netip.AddrPort) error {
	for _, a := range addrs {
		if p.Allows(a.Addr()) {
			return nil
		}
	}
	fam := "IPv6"
	if p == netx.IPv6Only {
		fam = "IPv4"
	}
	return &netx.DialError{Code: netx.NoFamily, Addr: addrsText(addrs), Msg: "the destination has only " + fam + " addresses and the client's policy (" + p.String() + ") excludes " + fam}
}

// explainFamily turns "network unreachable" on a destination that has only
// IPv6 (or only IPv4) addresses into the clear "no IPv6 route at server".
func explainFamily(err error, addrs []netip.AddrPort) error {
	code := netx.CodeOf(err)
	if code != netx.NetUnreachable && code != netx.NoFamily {
		return err
	}
	v6 := true
	v4 := true
	for _, a := range addrs {
		if a.Addr().Is4() {
			v6 = false
		} else {
			v4 = false
		}
	}
	switch {
	case v6:
		return &netx.DialError{Code: netx.NoFamily, Addr: addrsText(addrs), Msg: "no IPv6 route at server"}
	case v4:
		return &netx.DialError{Code: netx.NoFamily, Addr: addrsText(addrs), Msg: "no IPv4 route at server"}
	}
	return err
}

func addrsText(addrs []netip.AddrPort) string {
	if len(addrs) == 1 {
		return addrs[0].String()
	}
	return fmt.Sprintf("%s (+%d more)", addrs[0], len(addrs)-1)
}

var _ net.Conn = (*mux.Stream)(nil)
