package cli

import (
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/autovpn/autovpn/internal/config"
	"golang.org/x/net/proxy"
)

// TestIdleConnMemory reports (with -v) the Go memory one idle tunnelled
// connection costs client + server together, in one process, with the
// client in ENABLE_IPV6=false and in dual-stack (the cost of dual-stack).
func TestIdleConnMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("memory figure only")
	}
	t.Run("ipv4-only", func(t *testing.T) { idleConnMemory(t, ipv4Only) })
	t.Run("dual-stack", func(t *testing.T) { idleConnMemory(t, nil) })
}

func idleConnMemory(t *testing.T, mutate func(s, c *config.Config)) {
	p := newPair(t, mutate)
	p.waitUp()
	d, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), nil, &net.Dialer{})
	const n = 2000
	measure := func() (stack, heap uint64) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse, ms.HeapInuse
	}
	s0, h0 := measure()
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := d.Dial("tcp", p.echo["4"])
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte{1})
		io.ReadFull(c, make([]byte, 1))
		conns = append(conns, c)
	}
	s1, h1 := measure()
	t.Logf("per idle connection (client+server+echo, one process): stack %d B, heap %d B, goroutines %d", (s1-s0)/n, (h1-h0)/n, runtime.NumGoroutine())
	for _, c := range conns {
		c.Close()
	}
}
