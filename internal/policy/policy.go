// Package policy decides which destination addresses the server may dial on a
// client's behalf (DESIGN §7). The default denies every non-public range of
// both families — loopback, private, link-local, CGNAT, multicast, reserved,
// documentation, cloud metadata — and every IPv6 form that smuggles such an
// IPv4 address inside it (IPv4-mapped, -compatible and -translated, NAT64,
// 6to4, Teredo). The server checks addresses after name resolution, so a
// hostname that resolves to 127.0.0.1 is denied, and checks every UDP datagram.
package policy

import (
	"errors"
	"net/netip"
	"strings"
)

// ErrDenied is wrapped by every error Check returns.
var ErrDenied = errors.New("destination denied by policy")

// DeniedError says which destination was refused and why.
type DeniedError struct {
	Addr   netip.AddrPort
	Reason string // e.g. "private range 10.0.0.0/8"
}

func (e *DeniedError) Error() string {
	return "destination " + e.Addr.String() + " denied: " + e.Reason
}

// Unwrap makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Unwrap() error { return ErrDenied }

// Policy is the server's destination policy. A nil *Policy denies what the
// default denies and allows nothing extra. It is safe for concurrent use and
// never changes after New.
type Policy struct {
	allow          []netip.Prefix
	allowHostPorts []netip.AddrPort
	wgPort         uint16
}

// New builds a policy from ALLOW_DESTINATIONS (CIDRs and exact host:port
// entries) and SERVER_RESTRICT_PORT, the WireGuard port on the server's
// loopback that UDP streams may reach. A wgPort of 0 allows no loopback
// target at all. IPv4-mapped entries are stored in their IPv4 form, so an
// entry allows both an IPv4 address and its IPv4-mapped twin.
func New(allow []netip.Prefix, allowHostPorts []netip.AddrPort, wgPort uint16) *Policy {
	p := &Policy{wgPort: wgPort}
	for _, pfx := range allow {
		if !pfx.IsValid() {
			continue
		}
		pfx = pfx.Masked()
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		p.allow = append(p.allow, pfx)
	}
	for _, ap := range allowHostPorts {
		if ap.IsValid() {
			p.allowHostPorts = append(p.allowHostPorts, unmapAddrPort(ap))
		}
	}
	return p
}

// Check reports whether the server may dial dst over network ("tcp" or
// "udp"; "tcp4", "udp6" and the like count as their base network). It
// returns nil when allowed and a *DeniedError wrapping ErrDenied otherwise.
// The allowed path does not allocate: it runs for every UDP datagram.
func (p *Policy) Check(dst netip.AddrPort, network string) error {
	a := dst.Addr()
	if !a.IsValid() {
		return &DeniedError{Addr: dst, Reason: "invalid address"}
	}
	if a.Zone() != "" {
		return &DeniedError{Addr: dst, Reason: "zone-scoped address"}
	}
	if p != nil && p.allowed(dst, network) {
		return nil
	}
	if denied, why := Classify(a); denied {
		return &DeniedError{Addr: dst, Reason: why}
	}
	return nil
}

// allowed reports whether an explicit allowance covers dst. Prefixes match
// the address as given and its unmapped form; the rest match the unmapped form.
func (p *Policy) allowed(dst netip.AddrPort, network string) bool {
	given := dst.Addr()
	dst = unmapAddrPort(dst)
	for _, ap := range p.allowHostPorts {
		if ap == dst {
			return true
		}
	}
	a := dst.Addr()
	if p.wgPort != 0 && dst.Port() == p.wgPort && strings.HasPrefix(network, "udp") &&
		(a == loopback4 || a == netip.IPv6Loopback()) {
		return true
	}
	for _, pfx := range p.allow {
		if pfx.Contains(a) || pfx.Contains(given) {
			return true
		}
	}
	return false
}

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

func unmapAddrPort(ap netip.AddrPort) netip.AddrPort {
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}

// Classify is the default policy without allowances: it reports whether a
// falls in a denied range, and names the range. An IPv4-mapped address gets
// the verdict of the IPv4 address it maps; zone-scoped and invalid addresses
// are denied.
func Classify(a netip.Addr) (denied bool, reason string) {
	switch {
	case !a.IsValid():
		return true, "invalid address"
	case a.Zone() != "":
		return true, "zone-scoped address"
	case a.Is4():
		return classify4(a)
	case a.Is4In6():
		if denied, why := classify4(a.Unmap()); denied {
			return true, "IPv4-mapped form of " + a.Unmap().String() + " (" + why + ")"
		}
		return false, ""
	default:
		return classify6(a)
	}
}
