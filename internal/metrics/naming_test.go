package metrics

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// fullRegistry holds client and server metrics in one registry (as the demo
// command does) with one event of each kind recorded, so every metric has
// at least one series to gather.
func fullRegistry(t testing.TB) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	c, s := NewClient(reg), NewServer(reg)
	c.TunnelConnect(FamilyIPv4, ResultOK)
	c.TunnelRTT(FamilyIPv6, 20*time.Millisecond)
	c.HappyEyeballsWinner(FamilyIPv6)
	c.TunnelsUp(FamilyIPv4, 1)
	s.SessionOpen(FamilyIPv6)
	s.AuthFailure("bad_secret")
	s.DestinationDenied(KindUDP)
	for _, e := range []StreamEvents{c, s} {
		e.StreamOpen(KindTCP, FamilyIPv4)
		e.StreamFailure(KindTCP, FamilyIPv6, "refused")
		e.Bytes(DirectionUp, FamilyIPv6, 10)
		e.DNSAnswers("AAAA", 2)
	}
	return reg
}

// wantFamilyLabel lists the metrics that are about an address family.
var wantFamilyLabel = []string{
	"autovpn_tunnel_connects_total", "autovpn_tunnel_rtt_seconds", "autovpn_happy_eyeballs_wins_total",
	"autovpn_tunnels_up", "autovpn_stream_opens_total", "autovpn_stream_failures_total",
	"autovpn_streams_active", "autovpn_bytes_total",
	"autovpn_server_sessions_total", "autovpn_server_sessions_active",
	"autovpn_server_stream_opens_total", "autovpn_server_stream_failures_total",
	"autovpn_server_streams_active", "autovpn_server_bytes_total",
}

func TestMetricNaming(t *testing.T) {
	reg := fullRegistry(t)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		lintFamily(t, mf)
		got[mf.GetName()] = hasLabel(mf, "family")
	}
	if len(got) != 18 {
		t.Errorf("gathered %d metrics, want 18 (add new ones to this test): %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for _, name := range wantFamilyLabel {
		if hasFamily, ok := got[name]; !ok || !hasFamily {
			t.Errorf("%s: registered=%v, want it registered with a family label", name, ok)
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// lintFamily checks the naming rules of DESIGN §8 and Prometheus practice.
func lintFamily(t *testing.T, mf *dto.MetricFamily) {
	t.Helper()
	name := mf.GetName()
	if !strings.HasPrefix(name, "autovpn_") {
		t.Errorf("%s: name does not start with autovpn_", name)
	}
	if strings.TrimSpace(mf.GetHelp()) == "" {
		t.Errorf("%s: no help text", name)
	}
	isCounter := mf.GetType() == dto.MetricType_COUNTER
	if isCounter != strings.HasSuffix(name, "_total") {
		t.Errorf("%s: type %s; counters and only counters end in _total", name, mf.GetType())
	}
	if mf.GetType() == dto.MetricType_HISTOGRAM && !strings.HasSuffix(name, "_seconds") && !strings.HasSuffix(name, "_bytes") {
		t.Errorf("%s: a histogram's name ends in its base unit (_seconds or _bytes)", name)
	}
	for _, bad := range []string{"_ms", "milliseconds", "_kb", "kilobytes", "_mb"} {
		if strings.Contains(name, bad) {
			t.Errorf("%s: use base units (seconds, bytes), not %s", name, bad)
		}
	}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "family" && !slices.Contains([]string{FamilyIPv4, FamilyIPv6, FamilyUnknown}, l.GetValue()) {
				t.Errorf("%s: family label %q", name, l.GetValue())
			}
		}
	}
}

func hasLabel(mf *dto.MetricFamily, label string) bool {
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				return true
			}
		}
	}
	return false
}
