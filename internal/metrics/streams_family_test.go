package metrics

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
)

// DESIGN §8: stream failures and active streams carry the family; failures
// of streams without a destination address count under the tunnel's family.
func TestStreamFailuresAndActiveByFamily(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := NewClient(reg)
	s := NewServer(reg)
	tunnel4 := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 443}
	tunnel6 := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443}

	// Client: a literal IPv6 destination refused over an IPv4 tunnel counts
	// as ipv6; a UDP and a resolve failure (no destination) as the tunnel's.
	c.StreamFailure(KindTCP, FamilyOr(netip.MustParseAddr("2001:db8::80"), AddrFamily(tunnel4)), Reason(netx.Denied))
	c.StreamFailure(KindTCP, FamilyOr(netip.Addr{}, AddrFamily(tunnel4)), Reason(netx.NotFound))
	c.StreamFailure(KindUDP, AddrFamily(tunnel6), Reason(netx.GeneralFailure))
	c.StreamFailure(KindResolve, TunnelFamily((*fakeSession)(nil)), Reason(netx.TunnelDown))
	c.StreamOpen(KindUDP, AddrFamily(tunnel6))
	c.StreamOpen(KindResolve, AddrFamily(tunnel4))
	c.StreamOpen(KindResolve, AddrFamily(tunnel4))
	c.StreamClosed(KindResolve, AddrFamily(tunnel4))

	// Server: the family comes from the error's single address, else the tunnel.
	s.StreamFailure(KindTCP, FailureFamily(&netx.DialError{Code: netx.NoFamily, Addr: "[2001:db8::80]:443"}, tunnel4), Reason(netx.NoFamily))
	s.StreamFailure(KindTCP, FailureFamily(&netx.DialError{Code: netx.NotFound, Addr: "example.test:443"}, tunnel6), Reason(netx.NotFound))
	s.StreamFailure(KindUDP, FailureFamily(errors.New("boom"), tunnel4), Reason(netx.GeneralFailure))
	s.StreamOpen(KindTCP, FamilyIPv4)
	s.StreamOpen(KindTCP, FamilyIPv4)
	s.StreamClosed(KindTCP, FamilyIPv4)
	ResolveAnswers(s, []wire.NameAnswer{
		{Code: netx.OK, Records: []wire.Record{{IP: netip.MustParseAddr("192.0.2.7")}, {IP: netip.MustParseAddr("::ffff:192.0.2.8")}, {IP: netip.MustParseAddr("2001:db8::7")}}},
		{Code: netx.NotFound},
	})

	out := scrape(t, reg)
	for _, want := range []string{
		`autovpn_stream_failures_total{family="ipv6",kind="tcp",reason="denied"} 1`,
		`autovpn_stream_failures_total{family="ipv4",kind="tcp",reason="not_found"} 1`,
		`autovpn_stream_failures_total{family="ipv6",kind="udp",reason="general_failure"} 1`,
		`autovpn_stream_failures_total{family="unknown",kind="resolve",reason="tunnel_down"} 1`,
		`autovpn_streams_active{family="ipv6",kind="udp"} 1`,
		`autovpn_streams_active{family="ipv4",kind="resolve"} 1`,
		`autovpn_streams_active{family="ipv4",kind="udp"} 0`,
		`autovpn_stream_opens_total{family="ipv4",kind="resolve"} 2`,
		`autovpn_server_stream_failures_total{family="ipv6",kind="tcp",reason="no_family"} 1`,
		`autovpn_server_stream_failures_total{family="ipv6",kind="tcp",reason="not_found"} 1`,
		`autovpn_server_stream_failures_total{family="ipv4",kind="udp",reason="general_failure"} 1`,
		`autovpn_server_streams_active{family="ipv4",kind="tcp"} 1`,
		`autovpn_server_dns_answers_total{type="A"} 2`,
		`autovpn_server_dns_answers_total{type="AAAA"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if (strings.HasPrefix(line, "autovpn_stream_failures_total{") || strings.HasPrefix(line, "autovpn_streams_active{") ||
			strings.HasPrefix(line, "autovpn_server_stream_failures_total{") || strings.HasPrefix(line, "autovpn_server_streams_active{")) &&
			!strings.Contains(line, `family="`) {
			t.Errorf("series without a family label: %s", line)
		}
	}
}

type fakeSession struct{ remote netip.AddrPort }

func (s *fakeSession) Remote() netip.AddrPort { return s.remote }

func TestFamilyHelpers(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{nil, FamilyUnknown},
		{(*net.TCPAddr)(nil), FamilyUnknown},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 1}, FamilyIPv4}, // 16-byte IPv4-mapped form
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, FamilyIPv6},
		{&net.UDPAddr{IP: net.IPv4(192, 0, 2, 1).To4(), Port: 1}, FamilyIPv4},
		{&net.UnixAddr{Name: "/tmp/x", Net: "unix"}, FamilyUnknown},
		{stringAddr("[2001:db8::2]:443"), FamilyIPv6},
	} {
		if got := AddrFamily(tc.addr); got != tc.want {
			t.Errorf("AddrFamily(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
	if got := TunnelFamily(&fakeSession{netip.MustParseAddrPort("[2001:db8::1]:443")}); got != FamilyIPv6 {
		t.Errorf("TunnelFamily(v6 session) = %s", got)
	}
	if got := TunnelFamily((*fakeSession)(nil)); got != FamilyUnknown {
		t.Errorf("TunnelFamily(nil) = %s", got)
	}
	if got := FailureFamily(&netx.DialError{Code: netx.Denied, Addr: "192.0.2.9"}, nil); got != FamilyIPv4 {
		t.Errorf("FailureFamily(bare IPv4) = %s", got)
	}
	if got := FailureFamily(&netx.DialError{Code: netx.NoFamily, Addr: "[2001:db8::1]:80 (+1 more)"}, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1)}); got != FamilyIPv4 {
		t.Errorf("FailureFamily(several addresses) = %s, want the tunnel's", got)
	}
}

type stringAddr string

func (a stringAddr) Network() string { return "tcp" }
func (a stringAddr) String() string  { return string(a) }

// The helpers run once per stream: they must not allocate either.
func TestFamilyHelpersDoNotAllocate(t *testing.T) {
	c := NewClient(nil)
	tunnel := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443}
	f := func() {
		fam := AddrFamily(tunnel)
		c.StreamOpen(KindUDP, fam)
		c.StreamClosed(KindUDP, fam)
	}
	if n := testing.AllocsPerRun(1000, f); n != 0 {
		t.Errorf("StreamOpen + StreamClosed with AddrFamily allocates %v times, want 0", n)
	}
}
