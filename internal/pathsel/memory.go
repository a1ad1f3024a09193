package pathsel

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// Defaults for Options.
const (
	DefaultExpiry        = 60 * time.Second
	DefaultProbeInterval = 30 * time.Second
)

// Options tune a Memory. The zero value is ready to use.
type Options struct {
	// Expiry is how long a failure is remembered. 0 means DefaultExpiry;
	// negative means until the family next succeeds.
	Expiry time.Duration
	// ProbeInterval is how old a broken family's last failure must be
	// before NeedsProbe asks for a background probe. 0 means
	// DefaultProbeInterval; negative means at once.
	ProbeInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Memory is the per-family record of what worked. It is safe for
// concurrent use.
type Memory struct {
	policy     netx.Policy
	expiry     time.Duration
	probeEvery time.Duration
	now        func() time.Time

	mu  sync.Mutex
	fam [2]famState // by Family
}

type famState struct {
	failing  bool      // last outcome was a failure
	failedAt time.Time // last failure
	okSeen   bool      // ever succeeded
	okAt     time.Time // last success
	rtt      time.Duration
	lastErr  string
	since    time.Time // when the state last changed
}

// New returns an empty memory for dials made under policy.
func New(policy netx.Policy, opts Options) *Memory {
	m := &Memory{policy: policy, expiry: opts.Expiry, probeEvery: opts.ProbeInterval, now: opts.Now}
	if m.expiry == 0 {
		m.expiry = DefaultExpiry
	}
	if m.probeEvery == 0 {
		m.probeEvery = DefaultProbeInterval
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// Success records that f connected (or answered a keepalive) in rtt.
// Outcomes for a family the policy never uses are ignored.
func (m *Memory) Success(f Family, rtt time.Duration) {
	if !f.valid() || !f.allowedBy(m.policy) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	s := &m.fam[f]
	if m.state(f, now) != OK {
		s.since = now
	}
	s.failing, s.okSeen, s.okAt, s.rtt, s.lastErr = false, true, now, rtt, ""
}

// Failure records that f failed with err.
func (m *Memory) Failure(f Family, err error) {
	if !f.valid() || !f.allowedBy(m.policy) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	s := &m.fam[f]
	if m.state(f, now) != Broken {
		s.since = now
	}
	s.failing, s.failedAt, s.lastErr = true, now, oneLine(err)
}

// Report records one Happy Eyeballs attempt; it matches
// netx.HappyEyeballs.Report. A won attempt's duration is its connect time.
func (m *Memory) Report(r netx.AttemptReport) {
	f := FamilyOf(r.Addr.Addr())
	if r.Err == nil {
		m.Success(f, r.Duration)
		return
	}
	m.Failure(f, r.Err)
}

// RTT returns f's last measured RTT while f is known to work.
func (m *Memory) RTT(f Family) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state(f, m.now()) != OK {
		return 0, false
	}
	return m.fam[f].rtt, true
}

// Broken reports whether f failed lately (within Expiry) and has not
// succeeded since.
func (m *Memory) Broken(f Family) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state(f, m.now()) == Broken
}

// NeedsProbe reports whether f is broken and its last failure is at least
// ProbeInterval old: the client should try f in the background (dialling
// with f.Only()) and report the outcome.
func (m *Memory) NeedsProbe(f Family) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	return m.state(f, now) == Broken && now.Sub(m.fam[f].failedAt) >= m.probeEvery
}

// First returns the family new connections try first: the policy's
// preference, unless that family is broken and the other is not, or both
// are broken and the other succeeded more recently, and the policy allows
// falling back to it.
func (m *Memory) First() Family {
	if m.Order(m.policy.PrefersIPv6()) {
		return IPv6
	}
	return IPv4
}

// Order is First as a netx.HappyEyeballs.Order hook: given the preference
// (IPv6 first?), it returns whether IPv6 goes first.
func (m *Memory) Order(v6First bool) bool {
	switch m.policy {
	case netx.IPv4Only:
		return false
	case netx.IPv6Only:
		return true
	}
	pref := IPv4
	if v6First {
		pref = IPv6
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.state(pref, now) == Broken {
		other := pref.Other()
		// Both broken (the server is down, say): the family that worked
		// last is the better bet, never one that has not worked since.
		if m.state(other, now) != Broken || m.fam[other].okAt.After(m.fam[pref].okAt) {
			pref = other
		}
	}
	return pref == IPv6
}

// Wire returns a copy of h whose Order and Report go through m; a Report
// already set on h is still called after m's.
func (m *Memory) Wire(h *netx.HappyEyeballs) *netx.HappyEyeballs {
	w := *h
	w.Order = m.Order
	if next := h.Report; next != nil {
		w.Report = func(r netx.AttemptReport) { m.Report(r); next(r) }
	} else {
		w.Report = m.Report
	}
	return &w
}

// Snapshot returns both families' states, IPv4 first, for status and
// metrics; a family the policy never uses is Disabled.
func (m *Memory) Snapshot() []FamilyState {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make([]FamilyState, 0, len(Families))
	for _, f := range Families {
		s := m.fam[f]
		st := FamilyState{Family: f, State: m.state(f, now), RTT: s.rtt, LastError: s.lastErr, Since: s.since}
		switch st.State {
		case Disabled:
			st.Since = time.Time{}
		case Unknown:
			if s.failing { // the failure expired
				st.Since = s.failedAt.Add(m.expiry)
			}
		}
		out = append(out, st)
	}
	return out
}

// state computes f's state at now; m.mu must be held.
func (m *Memory) state(f Family, now time.Time) State {
	if !f.valid() || !f.allowedBy(m.policy) {
		return Disabled
	}
	s := &m.fam[f]
	switch {
	case s.failing && (m.expiry < 0 || now.Sub(s.failedAt) < m.expiry):
		return Broken
	case s.failing:
		return Unknown
	case s.okSeen:
		return OK
	}
	return Unknown
}

const maxErrText = 300

// oneLine renders err for status output: one line, bounded.
func oneLine(err error) string {
	if err == nil {
		err = errors.New("failed")
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > maxErrText {
		s = strings.ToValidUTF8(s[:maxErrText], "") + "…"
	}
	return s
}
