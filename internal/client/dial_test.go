package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/nettest"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/server"
	"github.com/autovpn/autovpn/internal/wire"
)

type allowAll struct{}

func (allowAll) Check(netip.AddrPort, string) error { return nil }

type noResolver struct{}

func (noResolver) LookupAddrs(context.Context, string) ([]wire.Record, error) { return nil, nil }

// echoAndServer starts an echo destination, srv and a client of it.
func echoAndServer(t *testing.T, srv *server.Server) (c *Client, target string) {
	t.Helper()
	target = nettest.TCPEcho(t, "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })
	c, err = New(Options{Servers: []string{"127.0.0.1"}, Port: uint16(ln.Addr().(*net.TCPAddr).Port),
		Prefix: srv.Prefix, Policy: netx.IPv4Only, OpenTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	return c, target
}

func echoOnce(t *testing.T, cn net.Conn, what string) {
	t.Helper()
	cn.SetDeadline(time.Now().Add(5 * time.Second))
	b := []byte("ping")
	if _, err := cn.Write(b); err != nil {
		t.Fatalf("%s: write: %v", what, err)
	}
	if _, err := io.ReadFull(cn, b); err != nil || string(b) != "ping" {
		t.Fatalf("%s: read %q, %v", what, b, err)
	}
}

// While the server drains (SIGTERM), it opens no new stream: the client
// retires the tunnel without cutting the connections on it, and those
// finish; then Shutdown returns without waiting for its deadline.
func TestDrainRefusesNewStreamsAndLetsOldOnesFinish(t *testing.T) {
	srv := &server.Server{Prefix: "sekret", Policy: allowAll{}, Resolver: noResolver{}}
	c, target := echoAndServer(t, srv)
	ctx := context.Background()
	old, err := c.DialContext(ctx, "tcp", target)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	echoOnce(t, old, "before the drain")
	drained := make(chan error, 1)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	go func() { drained <- srv.Shutdown(sctx) }()
	// Shutdown marks the server draining at once; poll until a new dial is refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cn, err := c.DialContext(ctx, "tcp", target)
		if err != nil {
			if code := netx.CodeOf(err); code != netx.ServerDraining && code != netx.TunnelDown {
				t.Fatalf("a dial during the drain: %v (code %v), want the server draining or no tunnel", err, code)
			}
			break
		}
		cn.Close()
		if time.Now().After(deadline) {
			t.Fatal("new dials still succeed 10 s into the drain")
		}
	}
	echoOnce(t, old, "an open connection during the drain")
	old.Close()
	select {
	case err := <-drained:
		if err != nil {
			t.Fatalf("Shutdown: %v, want a clean drain once the last stream ended", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Shutdown did not return after the last stream ended")
	}
}

// A stream the server refuses (its per-tunnel stream limit) fails that one
// dial with a reason; the tunnel and the connections already on it go on.
func TestRefusedStreamKeepsTunnel(t *testing.T) {
	c, target := echoAndServer(t, &server.Server{Prefix: "sekret", Policy: allowAll{}, Resolver: noResolver{}, MaxStreams: 2})
	ctx := context.Background()
	var conns []net.Conn
	for i := 0; i < 2; i++ {
		cn, err := c.DialContext(ctx, "tcp", target)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer cn.Close()
		conns = append(conns, cn)
	}
	c.mu.Lock()
	tun := c.cur
	c.mu.Unlock()

	_, err := c.DialContext(ctx, "tcp", target)
	if netx.CodeOf(err) != netx.GeneralFailure || !strings.Contains(err.Error(), "stream limit") {
		t.Fatalf("third dial over the server's limit of 2: %v (code %v), want a general failure naming the stream limit", err, netx.CodeOf(err))
	}
	for i, cn := range conns {
		echoOnce(t, cn, fmt.Sprintf("connection %d after the refused dial", i))
	}
	c.mu.Lock()
	same := c.cur == tun && !tun.IsClosed()
	c.mu.Unlock()
	if !same {
		t.Fatal("the tunnel was replaced after one refused stream")
	}
}

// A UDP flow that only goes one way (a client that sends, a destination
// that never answers) keeps its association: idle counts datagrams either
// way.
func TestOneWayUDPKeepsItsAssociation(t *testing.T) {
	const idle = 400 * time.Millisecond
	far, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	var got atomic.Int32
	go func() {
		buf := make([]byte, 100)
		for {
			if _, _, err := far.ReadFromUDP(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	c, _ := echoAndServer(t, &server.Server{Prefix: "sekret", Policy: allowAll{}, Resolver: noResolver{}, UDPIdle: idle})
	pc, err := c.ListenPacket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sent, maxGap := 0, time.Duration(0)
	prev := time.Now()
	for end := prev.Add(4 * idle); time.Now().Before(end); {
		if _, err := pc.WriteTo([]byte("k"), far.LocalAddr().String()); err != nil {
			t.Fatalf("datagram %d: %v", sent+1, err)
		}
		sent++
		time.Sleep(idle / 10) // the sender's pace, not a wait for readiness
		now := time.Now()
		maxGap = max(maxGap, now.Sub(prev))
		prev = now
	}
	if maxGap >= idle/2 {
		t.Skipf("the machine stalled the sender for %v (idle %v): the association may rightly have expired", maxGap, idle)
	}
	for deadline := time.Now().Add(10 * time.Second); int(got.Load()) < sent; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d datagrams arrived: the association ended while the client kept sending", got.Load(), sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
