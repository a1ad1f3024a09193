package socks5

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/autovpn/autovpn/internal/netx"
)

const (
	maxDatagram  = 64 << 10            // largest datagram carried either way
	maxUDPHeader = 3 + 1 + 1 + 255 + 2 // RSV FRAG ATYP LEN NAME PORT
)

// association is one UDP ASSOCIATE: a local UDP socket facing the client
// and a packet connection facing the destinations.
type association struct {
	uc       *net.UDPConn
	pc       netx.PacketConn
	clientIP netip.Addr
	client   atomic.Pointer[netip.AddrPort] // declared in the request, or fixed by the first datagram
	log      *slog.Logger
}

// associate serves a UDP ASSOCIATE until the control connection c closes.
// declared is the request's DST.ADDR:DST.PORT, the address the client says
// it will send from (RFC 1928 §4). When it names the control connection's
// own IP and a port, only that IP:port is served from the first datagram
// on, so another program on the client's host (or behind the same NAT
// address) cannot take the association over by sending first. A zero port,
// an unspecified or a different IP (a client behind NAT knows only its
// inside address) leaves the old rule: the first datagram from the
// control connection's IP fixes the client.
func (s *Server) associate(ctx context.Context, c net.Conn, declared string) {
	if s.ListenPacket == nil {
		c.Write(reply(netx.Unsupported.SOCKS5(), nil))
		return
	}
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		c.Write(reply(netx.GeneralFailure.SOCKS5(), nil))
		return
	}
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: local.IP, Zone: local.Zone})
	if err != nil {
		s.log().Debug("socks5 udp associate: listen", "err", err)
		c.Write(reply(netx.GeneralFailure.SOCKS5(), nil))
		return
	}
	defer uc.Close()
	pc, err := s.ListenPacket(ctx)
	if err != nil {
		s.log().Debug("socks5 udp associate: open packet conn", "err", err)
		c.Write(reply(netx.CodeOf(err).SOCKS5(), nil))
		return
	}
	defer pc.Close()
	if _, err := c.Write(reply(0x00, uc.LocalAddr())); err != nil {
		return
	}
	a := &association{uc: uc, pc: pc, clientIP: remote.AddrPort().Addr().Unmap(), log: s.log()}
	if d, err := netip.ParseAddrPort(declared); err == nil && d.Port() != 0 && d.Addr().Unmap() == a.clientIP {
		pinned := netip.AddrPortFrom(a.clientIP, d.Port())
		a.client.Store(&pinned)
	}
	a.log.Debug("socks5 udp associate", "relay", uc.LocalAddr().String())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer c.Close(); a.fromClient() }()
	go func() { defer wg.Done(); defer c.Close(); a.toClient() }()
	io.Copy(io.Discard, c) // the association lives as long as the control connection
	uc.Close()
	pc.Close()
	wg.Wait()
}

// fromClient forwards the client's datagrams to their destinations.
func (a *association) fromClient() {
	buf := make([]byte, maxDatagram+maxUDPHeader)
	for {
		n, from, err := a.uc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if from.Addr() != a.clientIP {
			continue // only the client that asked for the association
		}
		if cur := a.client.Load(); cur == nil {
			a.client.Store(&from)
		} else if *cur != from {
			continue
		}
		to, payload, err := ParseUDPHeader(buf[:n])
		if err != nil {
			a.log.Debug("socks5 udp: dropped datagram", "err", err)
			continue
		}
		if _, err := a.pc.WriteTo(payload, to); err != nil {
			a.log.Debug("socks5 udp: send", "to", to, "err", err)
		}
	}
}

// toClient returns datagrams from destinations to the client, with the
// source in the SOCKS5 UDP header.
func (a *association) toClient() {
	buf := make([]byte, maxUDPHeader+maxDatagram)
	var hdr [maxUDPHeader]byte
	for {
		n, from, err := a.pc.ReadFrom(buf[maxUDPHeader:])
		if err != nil {
			return
		}
		client := a.client.Load()
		if client == nil {
			continue // nowhere to send it yet
		}
		h, err := AppendUDPHeader(hdr[:0], from)
		if err != nil {
			a.log.Debug("socks5 udp: bad source address", "from", from, "err", err)
			continue
		}
		start := maxUDPHeader - len(h)
		copy(buf[start:], h)
		if _, err := a.uc.WriteToUDPAddrPort(buf[start:maxUDPHeader+n], *client); err != nil {
			a.log.Debug("socks5 udp: send to client", "err", err)
		}
	}
}
