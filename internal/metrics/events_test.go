package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// scrape fetches /metrics from Handler over a real socket.
func scrape(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	srv := httptest.NewServer(Handler(g))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d, err %v", resp.StatusCode, err)
	}
	return string(body)
}

func TestClientEventsInHandlerOutput(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := NewClient(reg)
	c.TunnelConnect(FamilyIPv6, ResultTLSPinMismatch)
	c.TunnelConnect(FamilyIPv4, ResultOK)
	c.TunnelConnect(FamilyIPv4, ResultOK)
	c.TunnelConnect("ipv5", "exploded") // folded, not a new label value
	c.TunnelRTT(FamilyIPv6, 30*time.Millisecond)
	c.HappyEyeballsWinner(FamilyIPv4)
	c.TunnelsUp(FamilyIPv6, 2)
	c.StreamOpen(KindTCP, FamilyIPv6)
	c.StreamOpen(KindUDP, "")
	c.StreamOpen(KindUDP, FamilyIPv4)
	c.StreamClosed(KindUDP, FamilyIPv4)
	c.StreamFailure(KindResolve, FamilyUnknown, Reason(netx.NotFound))
	c.StreamFailure("sctp", FamilyUnknown, "Connection Refused!")
	c.Bytes(DirectionDown, FamilyIPv6, 1500)
	c.Bytes(DirectionDown, FamilyIPv6, 500)
	c.Bytes(DirectionUp, FamilyIPv6, 7)
	c.Bytes(DirectionUp, FamilyIPv4, -3) // ignored: a counter cannot go down
	c.DNSAnswers("A", 3)
	c.DNSAnswers("MX", 1)

	out := scrape(t, reg)
	for _, want := range []string{
		`autovpn_tunnel_connects_total{family="ipv6",result="tls_pin_mismatch"} 1`,
		`autovpn_tunnel_connects_total{family="ipv4",result="ok"} 2`,
		`autovpn_tunnel_connects_total{family="unknown",result="other"} 1`,
		`autovpn_tunnel_rtt_seconds_bucket{family="ipv6",le="0.032"} 1`,
		`autovpn_tunnel_rtt_seconds_bucket{family="ipv6",le="0.016"} 0`,
		`autovpn_tunnel_rtt_seconds_count{family="ipv6"} 1`,
		`autovpn_happy_eyeballs_wins_total{family="ipv4"} 1`,
		`autovpn_tunnels_up{family="ipv6"} 2`,
		`autovpn_tunnels_up{family="ipv4"} 0`,
		`autovpn_stream_opens_total{family="ipv6",kind="tcp"} 1`,
		`autovpn_stream_opens_total{family="unknown",kind="udp"} 1`,
		`autovpn_stream_opens_total{family="ipv4",kind="udp"} 1`,
		`autovpn_streams_active{family="ipv6",kind="tcp"} 1`,
		`autovpn_streams_active{family="unknown",kind="udp"} 1`,
		`autovpn_streams_active{family="ipv4",kind="udp"} 0`,
		`autovpn_stream_failures_total{family="unknown",kind="resolve",reason="not_found"} 1`,
		`autovpn_stream_failures_total{family="unknown",kind="other",reason="other"} 1`,
		`autovpn_bytes_total{direction="down",family="ipv6"} 2000`,
		`autovpn_bytes_total{direction="up",family="ipv4"} 0`,
		`autovpn_bytes_total{direction="up",family="ipv6"} 7`,
		`autovpn_bytes_total{direction="down",family="ipv4"} 0`,
		`autovpn_dns_answers_total{type="A"} 3`,
		`autovpn_dns_answers_total{type="other"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(out, "ipv5") || strings.Contains(out, "exploded") || strings.Contains(out, "sctp") {
		t.Errorf("unvalidated label value leaked into /metrics:\n%s", out)
	}
}

func TestServerEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := NewServer(reg)
	s.SessionOpen(FamilyIPv6)
	s.SessionOpen(FamilyIPv6)
	s.SessionOpen(FamilyIPv4)
	s.SessionClosed(FamilyIPv6)
	s.AuthFailure("bad_path")
	s.AuthFailure("bad_path")
	s.AuthFailure("secret=hunter2") // never a label: could carry anything
	s.DestinationDenied(KindUDP)
	s.DestinationDenied(KindUDP)
	s.StreamOpen(KindTCP, FamilyIPv4)
	s.StreamFailure(KindTCP, FamilyIPv6, ReasonOf(&netx.DialError{Code: netx.Denied}))
	s.Bytes(DirectionUp, FamilyIPv4, 42)

	const want = `
# HELP autovpn_server_sessions_total Server: authenticated client sessions, by family the client connected over.
# TYPE autovpn_server_sessions_total counter
autovpn_server_sessions_total{family="ipv4"} 1
autovpn_server_sessions_total{family="ipv6"} 2
# HELP autovpn_server_sessions_active Server: client sessions currently open, by family.
# TYPE autovpn_server_sessions_active gauge
autovpn_server_sessions_active{family="ipv4"} 1
autovpn_server_sessions_active{family="ipv6"} 1
# HELP autovpn_server_auth_failures_total Server: rejected tunnel handshakes, by reason.
# TYPE autovpn_server_auth_failures_total counter
autovpn_server_auth_failures_total{reason="bad_path"} 2
autovpn_server_auth_failures_total{reason="other"} 1
# HELP autovpn_server_destinations_denied_total Server: destinations refused by the destination policy, by stream kind.
# TYPE autovpn_server_destinations_denied_total counter
autovpn_server_destinations_denied_total{kind="resolve"} 0
autovpn_server_destinations_denied_total{kind="tcp"} 0
autovpn_server_destinations_denied_total{kind="udp"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"autovpn_server_sessions_total", "autovpn_server_sessions_active",
		"autovpn_server_auth_failures_total", "autovpn_server_destinations_denied_total"); err != nil {
		t.Error(err)
	}
	out := scrape(t, reg)
	for _, want := range []string{
		`autovpn_server_stream_opens_total{family="ipv4",kind="tcp"} 1`,
		`autovpn_server_stream_failures_total{family="ipv6",kind="tcp",reason="denied"} 1`,
		`autovpn_server_streams_active{family="ipv4",kind="tcp"} 1`,
		`autovpn_server_bytes_total{direction="up",family="ipv4"} 42`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReason(t *testing.T) {
	seen := map[string]netx.Code{}
	for c := netx.OK; c <= netx.TunnelDown; c++ {
		r := Reason(c)
		if r == other || token(r) != r {
			t.Errorf("Reason(%d) = %q, want a snake_case word", c, r)
		}
		if prev, dup := seen[r]; dup {
			t.Errorf("Reason(%d) = Reason(%d) = %q", c, prev, r)
		}
		seen[r] = c
	}
	if r := Reason(200); r != other {
		t.Errorf("Reason(200) = %q, want other", r)
	}
	if r := ReasonOf(errors.New("boom")); r != "general_failure" {
		t.Errorf("ReasonOf(plain error) = %q", r)
	}
	if r := ReasonOf(&netx.DialError{Code: netx.NoFamily}); r != "no_family" {
		t.Errorf("ReasonOf(NoFamily) = %q", r)
	}
}

func TestFamilyOf(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": FamilyIPv4, "::ffff:192.0.2.1": FamilyIPv4, "2001:db8::1": FamilyIPv6, "fe80::1%eth0": FamilyIPv6,
	} {
		if got := FamilyOf(netip.MustParseAddr(in)); got != want {
			t.Errorf("FamilyOf(%s) = %s, want %s", in, got, want)
		}
	}
	if got := FamilyOf(netip.Addr{}); got != FamilyUnknown {
		t.Errorf("FamilyOf(zero) = %s", got)
	}
}

func TestNopRecordsNothing(t *testing.T) {
	for _, e := range []StreamEvents{NopClient(), NopServer()} {
		e.StreamOpen(KindTCP, FamilyIPv4)
		e.Bytes(DirectionUp, FamilyIPv4, -1)
		e.StreamClosed(KindTCP, FamilyUnknown)
	}
	NopClient().TunnelRTT(FamilyIPv6, time.Second)
	NopServer().AuthFailure("x")
	if n := testing.AllocsPerRun(100, func() { NopClient().Bytes(DirectionUp, FamilyIPv4, 1) }); n != 0 {
		t.Errorf("NopClient().Bytes allocates %v times", n)
	}
}
