package backup

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/pac"
	"github.com/autovpn/autovpn/internal/wgconf"
)

// BenchmarkRollback10k: rollback of a setup with 10,000 listed domains
// (20,000 addresses, 40,000 hosts lines, a 10,000-domain PAC, 20,000
// AllowedIPs), including the post-rollback checks. Bar: < 2 s per op.
func BenchmarkRollback10k(b *testing.B) {
	s := newSetup(b, fmt.Sprintf("ADMIN_ADDR=\nSOCKS5_PORT=%d\nHTTP_PORT=%d\nWSTUNNEL_PORT=%d\n", 21082, 28081, 21081))
	big := func(n int) map[string][]byte { return bigSetup(b, n) }
	write := func(files map[string][]byte) {
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	write(big(10000))
	if _, err := s.store.Create(s.sources(b)); err != nil {
		b.Fatal(err)
	}
	changed := big(9000)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		write(changed)
		b.StartTimer()
		if _, err := s.store.Rollback("", false, nil); err != nil {
			b.Fatal(err)
		}
		for _, r := range Validate(context.Background(), s.cfg) {
			if !r.OK {
				b.Fatalf("check %s: %s", r.Name, r.Note)
			}
		}
	}
}

func bigSetup(b *testing.B, n int) map[string][]byte {
	var doms, ips strings.Builder
	var names []string
	var pairs []hostsfile.Entry
	var addrs []netip.Addr
	for i := range n {
		d := fmt.Sprintf("site%05d.example", i)
		names = append(names, d)
		v4 := netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)})
		v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		fmt.Fprintf(&doms, "%s\n", d)
		fmt.Fprintf(&ips, "%s\t%s\n%s\t%s\n", v4, d, v6, d)
		pairs = append(pairs, hostsfile.Entry{IP: v4, Name: d}, hostsfile.Entry{IP: v6, Name: d})
		addrs = append(addrs, v4, v6)
	}
	h, _ := hostsfile.Parse(strings.NewReader("127.0.0.1 localhost\n::1 localhost\n"))
	p, err := pac.Render(pac.Options{Mode: pac.Smart, Domains: names, SOCKS5Port: 1082, HTTPPort: 8081, EnableIPv6: true})
	if err != nil {
		b.Fatal(err)
	}
	wgText, _ := os.ReadFile(filepath.Join("testdata", "bench-wg0.conf"))
	c, _ := wgconf.Parse(bytes.NewReader(wgText))
	if _, err := c.Sync(wgconf.SyncOptions{Endpoint: "127.0.0.1:1081", IPs: addrs, LocalIP: "10.8.0.2/24", MTU: 1420, Keepalive: 25}); err != nil {
		b.Fatal(err)
	}
	return map[string][]byte{
		"routes/domains.txt": []byte(doms.String()), "routes/ips.txt": []byte(ips.String()),
		"hosts": h.Apply(hostsfile.Twins(pairs)), "pac/proxy.pac": p, "wg0.conf": c.Bytes(),
	}
}
