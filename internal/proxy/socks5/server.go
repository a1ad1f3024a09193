package socks5

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// DefaultHandshakeTimeout bounds a client's greeting, auth and request when
// Server.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 10 * time.Second

// Server is a SOCKS5 proxy. Configure it with its fields, then call Serve.
type Server struct {
	// Dial opens CONNECT targets; required. It gets network "tcp" and
	// "host:port" exactly as requested: names unresolved, IPv6 as "[v6]:port".
	Dial netx.DialFunc
	// ListenPacket opens the packet connection of a UDP ASSOCIATE, once per
	// association. Nil: UDP ASSOCIATE is answered "command not supported".
	ListenPacket netx.ListenPacketFunc
	// User and Pass, when either is set, require RFC 1929 authentication and
	// refuse clients that do not offer it. Both empty: no authentication.
	User, Pass string
	// HandshakeTimeout bounds everything until the request is read; 0 means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// Log receives debug records per request; nil discards.
	Log *slog.Logger
}

// Serve accepts clients on ln until ctx is done (it returns nil) or ln fails
// (it returns the error). Either way it closes ln and every client and
// remote connection it holds, and returns only once all its goroutines have
// ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Dial == nil {
		return errors.New("socks5: Server.Dial is nil")
	}
	ctx, cancel := context.WithCancel(ctx)
	var conns netx.ConnSet
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		ln.Close()
		conns.CloseAll()
	}()
	defer wg.Wait()
	defer cancel()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if isTemporary(err) {
				s.log().Warn("socks5 accept", "addr", ln.Addr().String(), "err", err)
				if !sleepCtx(ctx, 50*time.Millisecond) {
					return nil
				}
				continue
			}
			return fmt.Errorf("socks5: accept on %s: %w", ln.Addr(), err)
		}
		if !conns.Add(c) {
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Remove(c)
			defer c.Close()
			s.handle(ctx, c, &conns)
		}()
	}
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// handle runs one client connection to its end.
func (s *Server) handle(ctx context.Context, c net.Conn, conns *netx.ConnSet) {
	timeout := s.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	c.SetDeadline(time.Now().Add(timeout))
	cmd, addr, err := s.handshake(c)
	if err != nil {
		s.log().Debug("socks5 handshake failed", "client", c.RemoteAddr().String(), "err", err)
		return
	}
	c.SetDeadline(time.Time{})
	switch cmd {
	case CmdConnect:
		s.connect(ctx, c, addr, conns)
	case CmdUDPAssociate:
		s.associate(ctx, c, addr)
	default: // BIND and unknown commands
		c.Write(reply(netx.Unsupported.SOCKS5(), nil))
	}
}

// handshake negotiates the method, authenticates and reads the request.
// Replies to every failure it can name; the caller closes the connection.
func (s *Server) handshake(c net.Conn) (cmd byte, addr string, err error) {
	methods, err := ReadGreeting(c)
	if err != nil {
		return 0, "", err
	}
	want := MethodNoAuth
	if s.User != "" || s.Pass != "" {
		want = MethodUserPass
	}
	if !containsByte(methods, want) {
		c.Write([]byte{socksVersion, MethodNone})
		return 0, "", fmt.Errorf("socks5: client offers no acceptable method (want %#02x)", want)
	}
	if _, err := c.Write([]byte{socksVersion, want}); err != nil {
		return 0, "", err
	}
	if want == MethodUserPass {
		if err := s.authenticate(c); err != nil {
			return 0, "", err
		}
	}
	cmd, addr, err = ReadRequest(c)
	switch {
	case errors.Is(err, ErrAddrType), errors.Is(err, ErrBadAddress):
		c.Write(reply(netx.BadAddress.SOCKS5(), nil))
		return 0, "", err
	case errors.Is(err, ErrVersion):
		c.Write(reply(netx.GeneralFailure.SOCKS5(), nil))
		return 0, "", err
	}
	return cmd, addr, err
}

// authenticate runs RFC 1929; on failure it answers status 0x01.
func (s *Server) authenticate(c net.Conn) error {
	user, pass, err := ReadUserPass(c)
	if err != nil {
		return err
	}
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(s.User))
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.Pass))
	if okUser&okPass != 1 {
		c.Write([]byte{authVersion, 0x01})
		return errors.New("socks5: authentication failed")
	}
	_, err = c.Write([]byte{authVersion, 0x00})
	return err
}

// connect dials addr, replies and relays.
func (s *Server) connect(ctx context.Context, c net.Conn, addr string, conns *netx.ConnSet) {
	remote, err := s.Dial(ctx, "tcp", addr)
	if err != nil {
		s.log().Debug("socks5 connect failed", "addr", addr, "err", err)
		c.Write(reply(netx.CodeOf(err).SOCKS5(), nil))
		return
	}
	if !conns.Add(remote) {
		remote.Close()
		return
	}
	defer conns.Remove(remote)
	if _, err := c.Write(reply(0x00, remote.LocalAddr())); err != nil {
		remote.Close()
		return
	}
	s.log().Debug("socks5 connect", "addr", addr)
	netx.Relay(c, remote)
}

func containsByte(b []byte, x byte) bool {
	for _, v := range b {
		if v == x {
			return true
		}
	}
	return false
}
