package udpfwd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// farSide is a tunnel association whose far end records what it is sent
// and never answers.
type farSide struct {
	id     int
	sent   chan string
	mu     sync.Mutex
	dl     time.Time
	closed chan struct{}
	once   sync.Once
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (p *farSide) WriteTo(b []byte, _ string) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	case p.sent <- fmt.Sprintf("%d:%s", p.id, b):
		return len(b), nil
	}
}

func (p *farSide) ReadFrom([]byte) (int, string, error) {
	p.mu.Lock()
	dl := p.dl
	p.mu.Unlock()
	var expire <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-p.closed:
		return 0, "", net.ErrClosed
	case <-expire:
		return 0, "", timeoutErr{}
	}
}

func (p *farSide) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.dl = t
	p.mu.Unlock()
	return nil
}

func (p *farSide) Close() error { p.once.Do(func() { close(p.closed) }); return nil }

// serve runs f on a loopback UDP socket and returns its address.
func serve(t *testing.T, f *Forwarder) *net.UDPAddr {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return pc.LocalAddr().(*net.UDPAddr)
}

func client(t *testing.T, to *net.UDPAddr) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func expect(t *testing.T, sent <-chan string, want string) {
	t.Helper()
	select {
	case got := <-sent:
		if got != want {
			t.Fatalf("far side got %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("far side never got %q", want)
	}
}

// A client that keeps sending keeps its association even when nothing comes
// back (a WireGuard peer sending keepalives to a quiet server): idle counts
// traffic either way.
func TestIdleCountsBothWays(t *testing.T) {
	const idle = 400 * time.Millisecond
	var opens atomic.Int32
	sent := make(chan string, 1000)
	to := serve(t, &Forwarder{Target: "x:1", Idle: idle, ListenPacket: func(context.Context) (netx.PacketConn, error) {
		return &farSide{id: int(opens.Add(1)), sent: sent, closed: make(chan struct{})}, nil
	}})
	c := client(t, to)
	var maxGap time.Duration
	prev := time.Now()
	for end := prev.Add(4 * idle); time.Now().Before(end); {
		if _, err := c.Write([]byte("k")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sent:
		case <-time.After(10 * time.Second):
			t.Fatal("a datagram never reached the far side")
		}
		time.Sleep(idle / 10) // the client's pace, not a wait for readiness
		now := time.Now()
		maxGap = max(maxGap, now.Sub(prev))
		prev = now
	}
	if maxGap >= idle/2 {
		t.Skipf("the machine stalled the sender for %v (idle %v): the association may rightly have expired", maxGap, idle)
	}
	if n := opens.Load(); n != 1 {
		t.Fatalf("%d associations opened for one client that never stopped sending, want 1", n)
	}
}

// While one new source's association is still being opened (a slow
// tunnel), the sources already flowing go on, and the new source's
// datagrams go out in order once its open completes.
func TestSlowOpenHoldsUpNobody(t *testing.T) {
	sent := make(chan string, 100)
	release := make(chan struct{})
	var opens atomic.Int32
	to := serve(t, &Forwarder{Target: "x:1", ListenPacket: func(ctx context.Context) (netx.PacketConn, error) {
		n := int(opens.Add(1))
		if n == 2 {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &farSide{id: n, sent: sent, closed: make(chan struct{})}, nil
	}})
	first, second := client(t, to), client(t, to)
	first.Write([]byte("a0"))
	expect(t, sent, "1:a0")
	second.Write([]byte("b0"))
	second.Write([]byte("b1"))
	for i := 1; i <= 3; i++ {
		first.Write([]byte(fmt.Sprintf("a%d", i)))
		expect(t, sent, fmt.Sprintf("1:a%d", i))
	}
	close(release)
	expect(t, sent, "2:b0")
	expect(t, sent, "2:b1")
	second.Write([]byte("b2"))
	expect(t, sent, "2:b2")
}

// A failed open is tried again on the next datagram.
func TestFailedOpenRetried(t *testing.T) {
	sent := make(chan string, 10)
	var opens atomic.Int32
	to := serve(t, &Forwarder{Target: "x:1", ListenPacket: func(context.Context) (netx.PacketConn, error) {
		n := int(opens.Add(1))
		if n == 1 {
			return nil, errors.New("tunnel down")
		}
		return &farSide{id: n, sent: sent, closed: make(chan struct{})}, nil
	}})
	c := client(t, to)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		c.Write([]byte("x")) // the first is lost with the failed open
		select {
		case got := <-sent:
			if got != "2:x" {
				t.Fatalf("far side got %q, want it through the second open", got)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("no datagram got through after a failed open")
}
