//go:build linux

package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/autovpn/autovpn/internal/server"
)

// serveTunnel starts a tunnel server on 127.0.0.1 and returns its port.
func serveTunnel(t *testing.T, h http.Handler) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// An established tunnel that closes (the server restarted) says nothing
// about its family: the path memory must not mark it broken, or the next
// race starts with the other family, possibly one that never worked.
func TestTunnelLossDoesNotBreakFamily(t *testing.T) {
	srv := &server.Server{Prefix: "sekret", Policy: allowAll{}, Resolver: noResolver{}}
	c, err := New(Options{Servers: []string{"127.0.0.1"}, Port: serveTunnel(t, srv), Prefix: srv.Prefix, Policy: netx.PreferIPv4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.connect(ctx); err != nil {
		t.Fatal(err)
	}
	s := c.current()
	if s == nil {
		t.Fatal("no tunnel after connect")
	}
	c.dropCurrent(s, errors.New("tunnel closed"))
	if c.Memory().Broken(pathsel.IPv4) {
		t.Error("the IPv4 tunnel closing marked IPv4 broken")
	}
	if c.Memory().Order(false) {
		t.Error("after the IPv4 tunnel closed the next race starts with IPv6, which never worked")
	}
}

// blackHole listens on [::1] with a full accept queue: the kernel drops
// further SYNs, so connecting to it hangs like a black-holed address.
func blackHole(t *testing.T) uint16 {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no IPv6 socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet6{Addr: [16]byte{15: 1}}); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(sa.(*syscall.SockaddrInet6).Port)
	addr := net.JoinHostPort("::1", strconv.Itoa(int(port)))
	// Fill the accept queue (nobody accepts) until a connect no longer
	// completes at once.
	for i := 0; ; i++ {
		cn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { cn.Close() })
		if i == 10 {
			t.Skip("could not fill the accept queue of a backlog-0 listener")
		}
	}
	return port
}

// IPv4 refused (the server is restarting) and IPv6 black-holed: the race
// must give up on the stalled IPv6 attempt once IPv4 failed, instead of
// waiting out the whole handshake timeout, so that Run's backoff retries
// IPv4 soon.
func TestStalledAttemptGivesUpWhenOthersFailed(t *testing.T) {
	port := blackHole(t)
	if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))); err != nil {
		t.Skipf("port %d on 127.0.0.1 is taken: %v", port, err)
	} else {
		ln.Close() // now refused
	}
	c, err := New(Options{Servers: []string{"127.0.0.1", "::1"}, Port: port, Prefix: "x", Policy: netx.PreferIPv4})
	if err != nil {
		t.Fatal(err)
	}
	// The caller's deadline is below handshakeTimeout: the connect must
	// end on its own, not because the caller gave up.
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout-2*time.Second)
	defer cancel()
	err = c.connect(ctx)
	if err == nil {
		t.Fatal("connect succeeded against a refused and a black-holed address")
	}
	if ctx.Err() != nil {
		t.Fatalf("connect waited for the caller's deadline on the black-holed IPv6 attempt: %v", err)
	}
	t.Logf("connect gave up: %v", err)
}

// In a server pool every address is dialled with the name it was resolved
// from (Host header and TLS server name), and a literal with itself.
func TestPoolAddressesKeepTheirOwnHostName(t *testing.T) {
	var (
		mu    sync.Mutex
		hosts []string
	)
	port := serveTunnel(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	lookup := func(_ context.Context, network, host string) ([]netip.Addr, error) {
		if network != "ip4" {
			return nil, nil
		}
		switch host {
		case "vps1.example.net":
			return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil // nothing listens: refused
		case "vps2.example.net":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	c, err := New(Options{Servers: []string{"vps1.example.net", "vps2.example.net", "192.0.2.9"}, Port: port,
		Prefix: "x", Policy: netx.IPv4Only, Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	addrs, names, err := c.serverAddrs(context.Background(), c.o.Policy)
	if err != nil {
		t.Fatal(err)
	}
	p := strconv.Itoa(int(port))
	want := map[string]string{
		"127.0.0.2:" + p: "vps1.example.net:" + p,
		"127.0.0.1:" + p: "vps2.example.net:" + p,
		"192.0.2.9:" + p: "vps1.example.net:" + p, // a literal takes the first name (SERVER_IP=name, SERVER_IP_V6=literal)
	}
	if len(addrs) != len(want) {
		t.Fatalf("server addresses %v, want those of %v", addrs, want)
	}
	for _, a := range addrs {
		if got := c.hostHeader(names[a], a); got != want[a.String()] {
			t.Errorf("%s is dialled as %q, want %q", a, got, want[a.String()])
		}
	}

	// Through the race: vps2's address reaches the server with vps2's name.
	c.o.Servers = []string{"vps1.example.net", "vps2.example.net"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.connect(ctx); err == nil {
		t.Fatal("connect succeeded against a plain HTTP server")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) != 1 || hosts[0] != "vps2.example.net:"+p {
		t.Errorf("the server saw Host %q, want [vps2.example.net:%s]", hosts, p)
	}
}
