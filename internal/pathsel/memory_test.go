package pathsel

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// clock is a manual clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var errBlackhole = errors.New("dial tcp [2001:db8::1]:443: i/o timeout")

// step is one event in a scenario: advance the clock, then record an outcome.
type step struct {
	wait time.Duration
	f    Family
	ok   bool
}

func fail(f Family) step                 { return step{f: f} }
func succeed(f Family) step              { return step{f: f, ok: true} }
func after(d time.Duration, s step) step { s.wait = d; return s }
func play(m *Memory, c *clock, steps []step) {
	for _, s := range steps {
		c.Advance(s.wait)
		if s.ok {
			m.Success(s.f, 10*time.Millisecond)
		} else {
			m.Failure(s.f, errBlackhole)
		}
	}
}

func TestFirst(t *testing.T) {
	tests := []struct {
		name   string
		policy netx.Policy
		expiry time.Duration
		steps  []step
		then   time.Duration // clock advance after the steps
		want   Family
	}{
		{"prefer-ipv4, nothing known", netx.PreferIPv4, 0, nil, 0, IPv4},
		{"prefer-ipv6, nothing known", netx.PreferIPv6, 0, nil, 0, IPv6},
		{"prefer-ipv6, IPv6 broken: IPv4 first", netx.PreferIPv6, 0, []step{fail(IPv6)}, 0, IPv4},
		{"prefer-ipv4, IPv4 broken: IPv6 first", netx.PreferIPv4, 0, []step{fail(IPv4)}, 0, IPv6},
		{"both broken: the preference", netx.PreferIPv6, 0, []step{fail(IPv6), fail(IPv4)}, 0, IPv6},
		{"IPv6 healed: back to IPv6", netx.PreferIPv6, 0,
			[]step{fail(IPv6), succeed(IPv4), after(5*time.Second, succeed(IPv6))}, 0, IPv6},
		{"failure 59s old: still IPv4", netx.PreferIPv6, 0, []step{fail(IPv6)}, 59 * time.Second, IPv4},
		{"failure expired after 60s: IPv6 again", netx.PreferIPv6, 0, []step{fail(IPv6)}, 60 * time.Second, IPv6},
		{"custom expiry 10s", netx.PreferIPv6, 10 * time.Second, []step{fail(IPv6)}, 10 * time.Second, IPv6},
		{"negative expiry: remembered until success", netx.PreferIPv6, -1, []step{fail(IPv6)}, time.Hour, IPv4},
		{"a later failure restarts the expiry", netx.PreferIPv6, 0,
			[]step{fail(IPv6), after(50*time.Second, fail(IPv6))}, 50 * time.Second, IPv4},
		{"ipv4-only never IPv6", netx.IPv4Only, 0, []step{fail(IPv4), succeed(IPv6)}, 0, IPv4},
		{"ipv6-only never IPv4", netx.IPv6Only, 0, []step{fail(IPv6), succeed(IPv4)}, 0, IPv6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			m := New(tt.policy, Options{Expiry: tt.expiry, Now: c.Now})
			play(m, c, tt.steps)
			c.Advance(tt.then)
			if got := m.First(); got != tt.want {
				t.Errorf("First() = %v, want %v", got, tt.want)
			}
			if got := m.Order(tt.policy.PrefersIPv6()); got != (tt.want == IPv6) {
				t.Errorf("Order(%v) = %v, want %v", tt.policy.PrefersIPv6(), got, tt.want == IPv6)
			}
		})
	}
}

func TestOrderFollowsGivenPreference(t *testing.T) {
	c := newClock()
	m := New(netx.PreferIPv4, Options{Now: c.Now})
	m.Failure(IPv6, errBlackhole)
	if m.Order(false) || m.Order(true) {
		t.Errorf("IPv6 broken: Order(false) = %v, Order(true) = %v; want false, false", m.Order(false), m.Order(true))
	}
}

func TestBrokenAndNeedsProbe(t *testing.T) {
	c := newClock()
	m := New(netx.PreferIPv6, Options{Now: c.Now})
	check := func(when string, broken, probe bool) {
		t.Helper()
		if m.Broken(IPv6) != broken || m.NeedsProbe(IPv6) != probe {
			t.Errorf("%s: Broken = %v, NeedsProbe = %v; want %v, %v", when, m.Broken(IPv6), m.NeedsProbe(IPv6), broken, probe)
		}
	}
	check("start", false, false)
	m.Failure(IPv6, errBlackhole)
	check("just failed", true, false)
	c.Advance(29 * time.Second)
	check("29s", true, false)
	c.Advance(time.Second)
	check("30s", true, true)
	m.Failure(IPv6, errBlackhole) // the probe failed
	check("probe failed", true, false)
	c.Advance(30 * time.Second)
	check("30s after the probe", true, true)
	m.Success(IPv6, time.Millisecond) // the probe worked
	check("healed", false, false)
	if m.NeedsProbe(IPv4) || m.Broken(IPv4) {
		t.Errorf("IPv4: Broken/NeedsProbe without any failure")
	}
}

func TestRTTPerFamily(t *testing.T) {
	c := newClock()
	m := New(netx.PreferIPv4, Options{Now: c.Now})
	if _, ok := m.RTT(IPv4); ok {
		t.Fatalf("RTT known before any success")
	}
	m.Success(IPv4, 10*time.Millisecond)
	m.Success(IPv6, 30*time.Millisecond)
	m.Report(netx.AttemptReport{Addr: netip.MustParseAddrPort("[::ffff:192.0.2.1]:443"), Duration: 12 * time.Millisecond})
	if rtt, ok := m.RTT(IPv4); !ok || rtt != 12*time.Millisecond {
		t.Errorf("RTT(ipv4) = %v, %v; want 12ms (mapped address counts as IPv4)", rtt, ok)
	}
	if rtt, ok := m.RTT(IPv6); !ok || rtt != 30*time.Millisecond {
		t.Errorf("RTT(ipv6) = %v, %v; want 30ms", rtt, ok)
	}
	m.Report(netx.AttemptReport{Addr: netip.MustParseAddrPort("[2001:db8::1]:443"), Err: netx.ErrOutrun})
	if _, ok := m.RTT(IPv6); ok || !m.Broken(IPv6) {
		t.Errorf("outrun IPv6: RTT still known or not broken")
	}
	if rtt, _ := m.RTT(IPv4); rtt != 12*time.Millisecond {
		t.Errorf("IPv6 failure changed IPv4 RTT to %v", rtt)
	}
}

func TestSnapshot(t *testing.T) {
	c := newClock()
	t0 := c.Now()
	m := New(netx.IPv4Only, Options{Now: c.Now})
	m.Success(IPv4, 20*time.Millisecond)
	c.Advance(time.Second)
	m.Failure(IPv4, errors.New("connect:\nconnection refused"))
	m.Failure(IPv6, errBlackhole) // disabled: ignored
	c.Advance(time.Second)
	m.Failure(IPv4, errors.New("dial tcp 192.0.2.1:443: connect: connection refused"))
	snap := m.Snapshot()
	want := []FamilyState{
		{Family: IPv4, State: Broken, RTT: 20 * time.Millisecond, Since: t0.Add(time.Second),
			LastError: "dial tcp 192.0.2.1:443: connect: connection refused"},
		{Family: IPv6, State: Disabled},
	}
	if len(snap) != 2 || snap[0] != want[0] || snap[1] != want[1] {
		t.Fatalf("Snapshot:\n got %+v\nwant %+v", snap, want)
	}
	c.Advance(time.Minute)
	if s := m.Snapshot()[0]; s.State != Unknown || !s.Since.Equal(t0.Add(62*time.Second)) {
		t.Errorf("after expiry: %+v, want unknown since the expiry", s)
	}
	if m.NeedsProbe(IPv6) {
		t.Errorf("NeedsProbe(ipv6) under ipv4-only")
	}
}

func TestErrorTextBounded(t *testing.T) {
	m := New(netx.PreferIPv4, Options{})
	m.Failure(IPv4, errors.New(strings.Repeat("é", 400)))
	got := m.Snapshot()[0].LastError
	if len(got) > maxErrText+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("LastError not bounded: %d bytes", len(got))
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		addr string
		want Family
		text string
	}{
		{"192.0.2.1", IPv4, "ipv4"},
		{"::ffff:192.0.2.1", IPv4, "ipv4"},
		{"2001:db8::1", IPv6, "ipv6"},
		{"::1", IPv6, "ipv6"},
	}
	for _, tt := range tests {
		f := FamilyOf(netip.MustParseAddr(tt.addr))
		if f != tt.want || f.String() != tt.text || f.Other() == f {
			t.Errorf("FamilyOf(%s) = %v (%q), want %v", tt.addr, f, f.String(), tt.want)
		}
	}
	if IPv4.Only() != netx.IPv4Only || IPv6.Only() != netx.IPv6Only {
		t.Errorf("Only: %v, %v", IPv4.Only(), IPv6.Only())
	}
	m := New(netx.PreferIPv4, Options{})
	m.Success(Family(7), time.Second) // must not panic
	m.Failure(Family(7), errBlackhole)
	if m.Broken(Family(7)) {
		t.Errorf("invalid family reported broken")
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New(netx.PreferIPv6, Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			f := Families[i%2]
			for j := range 500 {
				if j%3 == 0 {
					m.Failure(f, errBlackhole)
				} else {
					m.Success(f, time.Duration(j))
				}
				m.First()
				m.Snapshot()
				m.NeedsProbe(f)
				m.RTT(f)
			}
		})
	}
	wg.Wait()
	m.Success(IPv6, time.Millisecond)
	if m.First() != IPv6 || m.Broken(IPv6) {
		t.Errorf("after a final IPv6 success: First = %v, Broken = %v", m.First(), m.Broken(IPv6))
	}
}

func TestFamilyStateJSONUsesNames(t *testing.T) {
	in := FamilyState{Family: IPv6, State: Broken, LastError: "timeout"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"family":"ipv6"`) || !strings.Contains(string(b), `"state":"broken"`) {
		t.Fatalf("JSON %s lacks names", b)
	}
	var out FamilyState
	if err := json.Unmarshal(b, &out); err != nil || out.Family != IPv6 || out.State != Broken {
		t.Fatalf("round trip: %+v %v", out, err)
	}
}
