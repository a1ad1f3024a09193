//go:build unix

package mux

import (
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xtaci/smux"
)

// The benchmarks compare this package with xtaci/smux (protocol v2, the
// configuration internal/tunnel uses) over the same loopback TCP transport:
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/mux

// benchMux is what a benchmark needs of a multiplexer.
type benchMux struct {
	open   func() (net.Conn, error)
	accept func() (net.Conn, error)
	close  func()
}

func newOurs(b *testing.B) benchMux {
	c, s := pair(b, Config{}, tcpConns)
	return benchMux{
		open:   func() (net.Conn, error) { return c.Open() },
		accept: func() (net.Conn, error) { return s.Accept() },
		close:  func() { c.Close(); s.Close() },
	}
}

func newSmux(b *testing.B) benchMux {
	a, z := tcpConns(b)
	cfg := smux.DefaultConfig()
	cfg.Version = 2
	cfg.KeepAliveDisabled = true
	cfg.MaxFrameSize = 65535
	cfg.MaxReceiveBuffer = 16 << 20
	cfg.MaxStreamBuffer = 2 << 20
	c, err := smux.Client(a, cfg)
	if err != nil {
		b.Fatal(err)
	}
	s, err := smux.Server(z, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return benchMux{
		open:   func() (net.Conn, error) { return c.OpenStream() },
		accept: func() (net.Conn, error) { return s.AcceptStream() },
		close:  func() { c.Close(); s.Close() },
	}
}

var impls = []struct {
	name string
	new  func(*testing.B) benchMux
}{{"mux", newOurs}, {"smux", newSmux}}

// BenchmarkThroughput moves 1 MiB per op over 1 or 8 concurrent streams;
// the server side discards.
func BenchmarkThroughput(b *testing.B) {
	for _, im := range impls {
		for _, streams := range []int{1, 8} {
			b.Run(im.name+"/streams="+itoa(streams), func(b *testing.B) {
				m := im.new(b)
				defer m.close()
				var done sync.WaitGroup
				go func() {
					for {
						st, err := m.accept()
						if err != nil {
							return
						}
						done.Add(1)
						go func() { defer done.Done(); io.Copy(io.Discard, st); st.Close() }()
					}
				}()
				chunk := make([]byte, 64<<10)
				b.SetBytes(1 << 20)
				cpu0 := cpuTime()
				b.ResetTimer()
				var wg sync.WaitGroup
				for i := range streams {
					wg.Add(1)
					go func() {
						defer wg.Done()
						st, err := m.open()
						if err != nil {
							b.Error(err)
							return
						}
						for j := i; j < b.N; j += streams {
							for range 16 {
								if _, err := st.Write(chunk); err != nil {
									b.Error(err)
									return
								}
							}
						}
						st.(interface{ CloseWrite() error }).CloseWrite()
					}()
				}
				wg.Wait()
				done.Wait()
				// both halves run in this process: client+server CPU
				gib := float64(b.N) / 1024
				b.ReportMetric((cpuTime()-cpu0).Seconds()/gib, "cpu-s/GiB")
			})
		}
	}
}

// BenchmarkOpenEcho is the new-connection latency: open a stream, send one
// byte, wait for its echo, close.
func BenchmarkOpenEcho(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			m := im.new(b)
			defer m.close()
			go func() {
				for {
					st, err := m.accept()
					if err != nil {
						return
					}
					go func() {
						var p [1]byte
						if _, err := io.ReadFull(st, p[:]); err == nil {
							st.Write(p[:])
						}
						io.Copy(io.Discard, st)
						st.Close()
					}()
				}
			}()
			var p [1]byte
			b.ResetTimer()
			for range b.N {
				st, err := m.open()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.Write(p[:]); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(st, p[:]); err != nil {
					b.Fatal(err)
				}
				st.Close()
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return "many"
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
