package socks5

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autovpn/autovpn/internal/nettest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// loopbacks are the listen addresses every test runs on.
var loopbacks = []struct{ name, addr string }{
	{"ipv4", "127.0.0.1:0"},
	{"ipv6", "[::1]:0"},
}

// serve runs s on 127.0.0.1 and [::1] and returns the two addresses, in the
// order of loopbacks. Cleanup stops it and checks Serve ended cleanly.
func serve(t *testing.T, s *Server) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, len(loopbacks))
	var addrs []string
	for _, lb := range loopbacks {
		ln, err := net.Listen("tcp", lb.addr)
		if err != nil {
			t.Fatalf("listen %s: %v", lb.addr, err)
		}
		addrs = append(addrs, ln.Addr().String())
		go func() { errs <- s.Serve(ctx, ln) }()
	}
	t.Cleanup(func() {
		cancel()
		for range loopbacks {
			if err := <-errs; err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		}
	})
	return addrs
}

// echoServer is a TCP echo server on 127.0.0.1; cleanup waits for it.
func echoServer(t *testing.T) string { return nettest.TCPEcho(t, "127.0.0.1") }

// recDial records the addresses it is asked for and dials target (or
// returns err).
type recDial struct {
	target string
	err    error
	mu     sync.Mutex
	addrs  []string
	conns  []net.Conn
}

func (r *recDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.addrs = append(r.addrs, network+" "+addr)
	r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", r.target)
	if err == nil {
		r.mu.Lock()
		r.conns = append(r.conns, c)
		r.mu.Unlock()
	}
	return c, err
}

func (r *recDial) last() (string, net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var c net.Conn
	if len(r.conns) > 0 {
		c = r.conns[len(r.conns)-1]
	}
	if len(r.addrs) == 0 {
		return "", c
	}
	return r.addrs[len(r.addrs)-1], c
}

func dialProxy(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}

func mustWrite(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func mustRead(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

// readToEnd reads until the server closes; a reset counts as a close.
func readToEnd(t *testing.T, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("waiting for the server to close: %v (got %x)", err, b)
	}
	return b
}

// readReply reads a SOCKS5 reply and returns REP and BND as "host:port".
func readReply(t *testing.T, c net.Conn) (byte, string) {
	t.Helper()
	h := mustRead(t, c, 4)
	if h[0] != 5 || h[2] != 0 {
		t.Fatalf("reply header %x, want 05 xx 00", h)
	}
	bnd, err := readAddr(c, h[3])
	if err != nil {
		t.Fatalf("reply address: %v", err)
	}
	return h[1], bnd
}

// greet negotiates "no auth".
func greet(t *testing.T, c net.Conn) {
	t.Helper()
	mustWrite(t, c, []byte{5, 1, 0})
	if got := mustRead(t, c, 2); got[0] != 5 || got[1] != 0 {
		t.Fatalf("method reply %x, want 0500", got)
	}
}
