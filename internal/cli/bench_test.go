package cli

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"golang.org/x/net/proxy"
)

// startSink serves the tunbench sink protocol's download mode: after 'D'
// and a u64 count it sends that many bytes.
func startSink(tb testing.TB, host string) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	buf := make([]byte, 256<<10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var hdr [9]byte
				if _, err := io.ReadFull(c, hdr[:]); err != nil {
					return
				}
				n := int64(binary.BigEndian.Uint64(hdr[1:]))
				for n > 0 {
					m := min(n, int64(len(buf)))
					if _, err := c.Write(buf[:m]); err != nil {
						return
					}
					n -= m
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// ipv4Only turns a pair's client into ENABLE_IPV6=false.
func ipv4Only(_, c *config.Config) {
	c.EnableIPv6, c.Policy, c.ServerHostsV6 = false, netx.IPv4Only, nil
}

// BenchmarkDualStackCost downloads through the same IPv4 tunnel with the
// client in ENABLE_IPV6=false and in dual-stack (IPv6 on, both server
// addresses): the cost of dual-stack on the data path. Run with -count 6
// and compare the medians.
func BenchmarkDualStackCost(b *testing.B) {
	for _, mode := range []struct {
		name   string
		mutate func(s, c *config.Config)
	}{{"ipv4-only", ipv4Only}, {"dual-stack", nil}} {
		b.Run(mode.name, func(b *testing.B) {
			p := newPair(b, mode.mutate)
			p.waitUp()
			download(b, p, startSink(b, "127.0.0.1"), false)
		})
	}
}

// download moves 64 MiB per iteration from sink through the client's
// SOCKS5 listener on 127.0.0.1 (or [::1] with v6).
func download(b *testing.B, p *pair, sink string, v6 bool) {
	d, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", v6), nil, &net.Dialer{})
	const chunk = 64 << 20
	b.SetBytes(chunk)
	b.ResetTimer()
	buf := make([]byte, 256<<10)
	for i := 0; i < b.N; i++ {
		c, err := d.Dial("tcp", sink)
		if err != nil {
			b.Fatal(err)
		}
		var hdr [9]byte
		hdr[0] = 'D'
		binary.BigEndian.PutUint64(hdr[1:], chunk)
		c.Write(hdr[:])
		if n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf); err != nil || n != chunk {
			b.Fatalf("got %d bytes, %v", n, err)
		}
		c.Close()
	}
}

// BenchmarkDownload moves b.N bytes sink → server → tunnel → client → SOCKS5.
func BenchmarkDownload(b *testing.B) {
	for _, fam := range []struct {
		name, host string
		v6         bool
	}{{"ipv4", "127.0.0.1", false}, {"ipv6", "::1", true}} {
		b.Run(fam.name, func(b *testing.B) {
			p := newPair(b, nil)
			p.waitUp()
			sink := startSink(b, fam.host)
			download(b, p, sink, fam.v6)
		})
	}
}

// BenchmarkConnectEcho is a new connection through SOCKS5 + 1-byte echo.
func BenchmarkConnectEcho(b *testing.B) {
	p := newPair(b, nil)
	p.waitUp()
	d, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), nil, &net.Dialer{})
	one := []byte{1}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := d.Dial("tcp", p.echo["4"])
		if err != nil {
			b.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(one)
		if _, err := io.ReadFull(c, one); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkTunnelDialEcho is a tunnel stream open + 1-byte echo, no SOCKS5.
func BenchmarkTunnelDialEcho(b *testing.B) {
	p := newPair(b, nil)
	p.waitUp()
	one := []byte{1}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := p.cli.c.DialContext(b.Context(), "tcp", p.echo["4"])
		if err != nil {
			b.Fatal(err)
		}
		c.Write(one)
		if _, err := io.ReadFull(c, one); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkDirectDialEcho is the reference: plain TCP connect + 1-byte echo.
func BenchmarkDirectDialEcho(b *testing.B) {
	addr := startTCPEcho(b, "127.0.0.1")
	one := []byte{1}
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Write(one)
		if _, err := io.ReadFull(c, one); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
