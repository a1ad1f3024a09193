// Package pathsel remembers, per IP family, whether reaching the server
// worked lately and how fast, so that new connections go straight to the
// family that works instead of paying the Happy Eyeballs delay on a broken
// one, and so that a broken family is re-probed in the background and used
// again once it heals (DESIGN §6 rule 2).
//
// A Memory plugs into netx.HappyEyeballs through its Order and Report
// hooks (Wire does both):
//
//	mem := pathsel.New(policy, pathsel.Options{})
//	dialer := mem.Wire(&netx.HappyEyeballs{Policy: policy, Attempt: dialTunnel})
//	conn, addr, err := dialer.DialAddrs(ctx, serverAddrs)
//
// Every attempt's outcome updates the memory: a win records the family's
// connect time as its RTT, a failure (or an attempt of one family that had
// not answered within the attempt delay when the other family connected)
// marks the family broken. While the preferred family is broken and the
// other is not, Order puts the working family first: its attempt starts at
// once and the broken family is tried only if the working one has not
// connected within the attempt delay, so a healthy fallback costs nothing.
// The client asks NeedsProbe periodically and, for a family that needs it,
// dials with f.Only() as policy; a success heals the family and the policy's
// preference applies again. A failure is forgotten after Options.Expiry even
// without a probe, so a stale verdict cannot pin the order forever.
package pathsel

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// Family is an IP address family.
type Family uint8

const (
	IPv4 Family = iota
	IPv6
)

// Families lists both families, IPv4 first.
var Families = [...]Family{IPv4, IPv6}

func (f Family) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// FamilyOf returns a's family; IPv4-mapped IPv6 addresses count as IPv4.
func FamilyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// Other returns the other family.
func (f Family) Other() Family {
	if f == IPv4 {
		return IPv6
	}
	return IPv4
}

// Only returns the policy that dials f and nothing else (for probes).
func (f Family) Only() netx.Policy {
	if f == IPv6 {
		return netx.IPv6Only
	}
	return netx.IPv4Only
}

func (f Family) valid() bool { return f <= IPv6 }

// allowedBy reports whether policy p may dial family f.
func (f Family) allowedBy(p netx.Policy) bool {
	if f == IPv6 {
		return p.Allows(netip.IPv6Unspecified())
	}
	return p.Allows(netip.IPv4Unspecified())
}

// State is what the memory knows about a family.
type State uint8

const (
	Unknown  State = iota // never tried, or the last failure expired
	OK                    // the last outcome was a success
	Broken                // failed lately and not succeeded since
	Disabled              // the policy never uses this family
)

func (s State) String() string {
	switch s {
	case Unknown:
		return "unknown"
	case OK:
		return "ok"
	case Broken:
		return "broken"
	case Disabled:
		return "disabled"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// FamilyState is one family's entry in a Snapshot.
type FamilyState struct {
	Family    Family        `json:"family"`
	State     State         `json:"state"`
	RTT       time.Duration `json:"rtt_ns"`               // last measured (0: never succeeded), kept while broken
	LastError string        `json:"last_error,omitempty"` // last failure, one line ("" if none)
	Since     time.Time     `json:"since"`                // when State began (zero: never)
}

// MarshalText writes the family's name ("ipv4", "ipv6") in JSON and text.
func (f Family) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a family's name.
func (f *Family) UnmarshalText(b []byte) error {
	for _, g := range Families {
		if g.String() == string(b) {
			*f = g
			return nil
		}
	}
	return fmt.Errorf("pathsel: unknown family %q", b)
}

// MarshalText writes the state's name ("ok", "broken", ...).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for st := Unknown; st <= Disabled; st++ {
		if st.String() == string(b) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("pathsel: unknown state %q", b)
}
