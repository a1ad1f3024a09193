package netx

import (
	"fmt"
	"net/netip"
)

// Policy says which IP families a dial may use and in which order. It is the
// typed form of the config switches ENABLE_IPV6, PREFER_IPV6 and IPV6_FALLBACK
// and travels with every stream open so the server dials the same way.
// The values are part of the wire protocol: never renumber them.
type Policy uint8

const (
	PreferIPv4 Policy = 0 // both families, IPv4 first, the other as fallback (the zero value)
	PreferIPv6 Policy = 1 // both families, IPv6 first, IPv4 as fallback
	IPv4Only   Policy = 2 // ENABLE_IPV6=false, or IPv4 preferred with no fallback
	IPv6Only   Policy = 3 // IPv6 preferred with no fallback
)

// PolicyFromSwitches maps the three config switches onto a Policy.
func PolicyFromSwitches(enableIPv6, preferIPv6, fallback bool) Policy {
	switch {
	case !enableIPv6:
		return IPv4Only
	case preferIPv6 && fallback:
		return PreferIPv6
	case preferIPv6:
		return IPv6Only
	case fallback:
		return PreferIPv4
	default:
		return IPv4Only
	}
}

func (p Policy) String() string {
	switch p {
	case PreferIPv4:
		return "prefer-ipv4"
	case PreferIPv6:
		return "prefer-ipv6"
	case IPv4Only:
		return "ipv4-only"
	case IPv6Only:
		return "ipv6-only"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// Valid reports whether p is one of the defined policies.
func (p Policy) Valid() bool { return p <= IPv6Only }

// Allows reports whether p permits dialing addr's family. IPv4-mapped IPv6
// addresses count as IPv4.
func (p Policy) Allows(addr netip.Addr) bool {
	v4 := addr.Unmap().Is4()
	switch p {
	case IPv4Only:
		return v4
	case IPv6Only:
		return !v4
	}
	return true
}

// PrefersIPv6 reports whether IPv6 addresses are tried first.
func (p Policy) PrefersIPv6() bool { return p == PreferIPv6 || p == IPv6Only }
