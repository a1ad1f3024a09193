package netx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Real sockets on 127.0.0.1 and ::1: a listener on one family, a closed
// port on the other.

func listenOn(t *testing.T, host string) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s (family disabled on this host?): %v", host, err)
	}
	t.Cleanup(func() { ln.Close() })
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	return ln, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// closedPort returns an address on host where nothing listens.
func closedPort(t *testing.T, host string) netip.AddrPort {
	t.Helper()
	ln, ap := listenOn(t, host)
	ln.Close()
	return ap
}

// serveOne accepts one connection and writes the family it arrived on.
func serveOne(ln net.Listener) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		local := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
		_, err = fmt.Fprintf(c, "%v", local)
		done <- err
	}()
	return done
}

func TestDialAddrsRealSockets(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name           string
		policy         Policy
		listen, closed string
	}{
		{"IPv6 preferred but refused, IPv4 wins", PreferIPv6, "127.0.0.1", "::1"},
		{"IPv4 preferred but refused, IPv6 wins", PreferIPv4, "::1", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, open := listenOn(t, tt.listen)
			closed := closedPort(t, tt.closed)
			served := serveOne(ln)
			var reports []AttemptReport
			h := &HappyEyeballs{Policy: tt.policy, Report: func(r AttemptReport) { reports = append(reports, r) }}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, winner, err := h.DialAddrs(ctx, []netip.AddrPort{open, closed})
			if err != nil {
				t.Fatalf("DialAddrs: %v", err)
			}
			defer c.Close()
			if winner != open {
				t.Errorf("winner %v, want %v", winner, open)
			}
			got, _ := io.ReadAll(c)
			if string(got) != tt.listen {
				t.Errorf("server saw the connection on %q, want %q", got, tt.listen)
			}
			if err := <-served; err != nil {
				t.Errorf("server: %v", err)
			}
			if len(reports) != 2 || reports[0].Addr != closed || !errors.Is(reports[0].Err, syscall.ECONNREFUSED) ||
				reports[1].Addr != open || reports[1].Err != nil {
				t.Errorf("reports %+v, want %v refused then %v won", reports, closed, open)
			}
		})
	}
}

func TestDialAddrsRealAllRefused(t *testing.T) {
	defer goleak.VerifyNone(t)
	c6, c4 := closedPort(t, "::1"), closedPort(t, "127.0.0.1")
	h := &HappyEyeballs{Policy: PreferIPv6}
	_, _, err := h.DialAddrs(context.Background(), []netip.AddrPort{c4, c6})
	want := fmt.Sprintf("dial tcp %v: connect: connection refused (also failed: %v: connect: connection refused)", c6, c4)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if CodeOf(err) != Refused || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("CodeOf = %v, errors.Is(ECONNREFUSED) = %v; want Refused, true", CodeOf(err), errors.Is(err, syscall.ECONNREFUSED))
	}
}

// TestDialContextRealSockets resolves one name to 127.0.0.1 and ::1 with the
// same port: open on one family, closed on the other.
func TestDialContextRealSockets(t *testing.T) {
	defer goleak.VerifyNone(t)
	ln, open := listenOn(t, "127.0.0.1")
	if ln6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", open.Port())); err != nil {
		t.Skipf("[::1]:%d is not free or IPv6 is off: %v", open.Port(), err)
	} else {
		ln6.Close()
	}
	served := serveOne(ln)
	lookup := func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		if host != "dual.test" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		if network == "ip6" {
			return []netip.Addr{netip.IPv6Loopback()}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	h := &HappyEyeballs{Policy: PreferIPv6, Lookup: lookup}
	c, err := h.DialContext(context.Background(), "tcp", fmt.Sprintf("dual.test:%d", open.Port()))
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	defer c.Close()
	if got, _ := io.ReadAll(c); string(got) != "127.0.0.1" {
		t.Errorf("connected over %q, want 127.0.0.1", got)
	}
	<-served

	h.Policy = IPv6Only
	_, err = h.DialContext(context.Background(), "tcp", fmt.Sprintf("dual.test:%d", open.Port()))
	if CodeOf(err) != Refused {
		t.Errorf("ipv6-only: err = %v (code %v), want refused on [::1]", err, CodeOf(err))
	}
	_, err = h.DialContext(context.Background(), "tcp", "missing.test:1")
	if CodeOf(err) != NotFound {
		t.Errorf("missing name: err = %v (code %v), want NotFound", err, CodeOf(err))
	}
}
