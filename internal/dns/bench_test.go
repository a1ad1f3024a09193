package dns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCachedLookup measures LookupAddrs answered from the cache.
func BenchmarkCachedLookup(b *testing.B) {
	d := startDnsmasq(b, "--local-ttl=3600")
	r := newTestResolver(b, Options{Upstreams: []string{d.V4}})
	ctx := ctxT(b)
	if _, err := r.LookupAddrs(ctx, "a.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupAddrs(ctx, "a.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve10k resolves 10,000 names (A + AAAA each) against a local
// dnsmasq with ResolveAll's defaults (32 in flight, 2 retries).
// AUTOVPN_BENCH_DROP_PERCENT=5 drops that share of DNS packets in each
// direction with nftables (root).
func BenchmarkResolve10k(b *testing.B) {
	const n = 10000
	hosts := filepath.Join(b.TempDir(), "hosts")
	var sb strings.Builder
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("n%05d.bench.test", i)
		fmt.Fprintf(&sb, "10.%d.%d.1 %s\nfd00::%x %s\n", i/256, i%256, names[i], i+1, names[i])
	}
	if err := os.WriteFile(hosts, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	d := startDnsmasq(b, "--addn-hosts="+hosts, quiet)
	if p := os.Getenv("AUTOVPN_BENCH_DROP_PERCENT"); p != "" {
		dropDNS(b, d.V4, p)
	}
	var ok, complete int
	var wall time.Duration
	for b.Loop() {
		r := newTestResolver(b, Options{Upstreams: []string{d.V4}, Timeout: 250 * time.Millisecond, Attempts: 3})
		start := time.Now()
		res := ResolveAll(ctxT(b), r, names, BulkOptions{})
		wall += time.Since(start)
		ok, complete = 0, 0
		for _, x := range res {
			if x.Err == nil && len(x.Records) > 0 {
				ok++
			}
			if len(x.Records) == 2 {
				complete++
			}
		}
	}
	sec := wall.Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(float64(n)/sec, "names/s")
	b.ReportMetric(100*float64(ok)/n, "%resolved")
	b.ReportMetric(100*float64(complete)/n, "%both-families")
}

// dropDNS drops percent% of UDP packets to and from addr's port.
func dropDNS(b *testing.B, addr, percent string) {
	_, port, _ := net.SplitHostPort(addr)
	if _, err := strconv.Atoi(percent); err != nil {
		b.Fatalf("AUTOVPN_BENCH_DROP_PERCENT=%q: want a number", percent)
	}
	table := "autovpn_bench_" + port
	rules := fmt.Sprintf(`table inet %s {
  chain out {
    type filter hook output priority 0;
    udp dport %s numgen random mod 100 < %s drop
    udp sport %s numgen random mod 100 < %s drop
  }
}`, table, port, percent, port, percent)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("nft (needs root and nftables): %v: %s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
}
