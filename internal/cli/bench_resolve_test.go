package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/dns"
)

// BenchmarkResolve10kThroughTunnel resolves 10,000 names (A + AAAA) through
// the tunnel: client resolve streams → server → a real dnsmasq that only the
// server is pointed at. Compare with BenchmarkResolve10k in internal/dns
// (the same names asked directly).
func BenchmarkResolve10kThroughTunnel(b *testing.B) {
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		b.Skip("dnsmasq not installed (apt-get install dnsmasq-base)")
	}
	const n = 10000
	dir := b.TempDir()
	names := make([]string, n)
	var sb strings.Builder
	for i := range n {
		names[i] = fmt.Sprintf("n%05d.bench.test", i)
		fmt.Fprintf(&sb, "10.%d.%d.1 %s\nfd00::%x %s\n", i/256, i%256, names[i], i+1, names[i])
	}
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte(sb.String()), 0o644)
	ln, _ := net.ListenPacket("udp", "127.0.0.1:0")
	port := ln.LocalAddr().(*net.UDPAddr).Port
	ln.Close()
	cmd := exec.Command("dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
		"--listen-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--pid-file=", "--user=root",
		"--local=/test/", "--addn-hosts="+hosts, "--cache-size=20000")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	upstream := fmt.Sprintf("127.0.0.1:%d", port)
	p := newPair(b, func(s, c *config.Config) { s.PrimaryDNS = upstream })
	p.waitUp()
	if err := waitDNS(upstream); err != nil {
		b.Fatal(err)
	}
	lk := &tunnelLookup{c: p.cli.c, cancel: func() {}}
	var ok, both int
	var wall time.Duration
	for b.Loop() {
		start := time.Now()
		res := dns.ResolveAll(context.Background(), lk, names, dns.BulkOptions{})
		wall += time.Since(start)
		ok, both = 0, 0
		for _, r := range res {
			if r.Err == nil && len(r.Records) > 0 {
				ok++
			}
			if len(r.Records) == 2 {
				both++
			}
		}
	}
	sec := wall.Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(float64(n)/sec, "names/s")
	b.ReportMetric(100*float64(ok)/n, "%resolved")
	b.ReportMetric(100*float64(both)/n, "%both-families")
}

// waitDNS polls until the resolver at addr answers.
func waitDNS(addr string) error {
	r, err := dns.New(dns.Options{Upstreams: []string{addr}, Timeout: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := r.LookupAddrs(context.Background(), "n00000.bench.test")
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
