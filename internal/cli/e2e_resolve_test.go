package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/testbed"
)

// TestDomainsResolveThroughServer: `autovpn domains resolve` with the
// default DNS_VIA_SERVER=true gets A and AAAA from the server's resolver (a
// real dnsmasq that only the server is pointed at) through the tunnel.
func TestDomainsResolveThroughServer(t *testing.T) {
	dns := testbed.StartDNS(t, nil,
		testbed.DNSRecord{Name: "a.routed.test", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")}},
		testbed.DNSRecord{Name: "www.a.routed.test", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.11")}},
		testbed.DNSRecord{Name: "v6only.routed.test", Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::66")}},
	)
	p := newPair(t, func(s, c *config.Config) { s.PrimaryDNS = dns.Addr.String() })
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "domains.txt"), []byte("a.routed.test\nv6only.routed.test\nmissing.routed.test\n"), 0o644)
	conf := fmt.Sprintf("SERVER_IP=127.0.0.1\nSERVER_IP_V6=::1\nSERVER_PORT=%d\nPREFIX=%s\nDOMAINS_FILE=domains.txt\nIP_LIST_FILE=ips.txt\n",
		p.scfg.ServerPort, p.scfg.Prefix)
	os.WriteFile(filepath.Join(dir, "config.env"), []byte(conf), 0o600)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"--config", filepath.Join(dir, "config.env"), "domains", "resolve"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	ips, err := os.ReadFile(filepath.Join(dir, "ips.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"192.0.2.10\ta.routed.test", "2001:db8::10\ta.routed.test", "192.0.2.11\twww.a.routed.test", "2001:db8::66\tv6only.routed.test"} {
		if !strings.Contains(string(ips), want) {
			t.Errorf("IP list lacks %q:\n%s", want, ips)
		}
	}
	if len(dns.Asked("a.routed.test")) == 0 {
		t.Fatal("the server's resolver was never asked: resolution did not go through the server")
	}
}
