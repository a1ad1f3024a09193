package metrics

import (
	"net/netip"

	"github.com/autovpn/autovpn/internal/netx"
)

// Label values. Anything else a caller passes is folded into "unknown" (for
// families) or "other", so a bug can never explode a metric's cardinality.
const (
	FamilyIPv4    = "ipv4"
	FamilyIPv6    = "ipv6"
	FamilyUnknown = "unknown"

	KindTCP     = "tcp"
	KindUDP     = "udp"
	KindResolve = "resolve"

	DirectionUp   = "up"   // client towards destination
	DirectionDown = "down" // destination towards client

	ResultOK             = "ok"
	ResultError          = "error"
	ResultAuthFailed     = "auth_failed"
	ResultTLSPinMismatch = "tls_pin_mismatch"
	ResultTimeout        = "timeout"

	other = "other"
)

var (
	families   = []string{FamilyIPv4, FamilyIPv6}
	kinds      = []string{KindTCP, KindUDP, KindResolve}
	directions = []string{DirectionUp, DirectionDown}
	qtypes     = []string{"A", "AAAA"}
	results    = []string{ResultOK, ResultError, ResultAuthFailed, ResultTLSPinMismatch, ResultTimeout}
)

// FamilyOf returns the family label of a: "ipv4" (IPv4-mapped IPv6 counts as
// IPv4), "ipv6", or "unknown" for the zero Addr.
func FamilyOf(a netip.Addr) string {
	switch {
	case a.Unmap().Is4():
		return FamilyIPv4
	case a.Is6():
		return FamilyIPv6
	}
	return FamilyUnknown
}

// Reason returns the snake_case failure reason label for a result code.
func Reason(c netx.Code) string {
	if r, ok := codeReasons[c]; ok {
		return r
	}
	return other
}

// ReasonOf is Reason of the result code carried by err (see netx.CodeOf).
func ReasonOf(err error) string { return Reason(netx.CodeOf(err)) }

var codeReasons = map[netx.Code]string{
	netx.OK:              "ok",
	netx.GeneralFailure:  "general_failure",
	netx.Denied:          "denied",
	netx.NetUnreachable:  "net_unreachable",
	netx.HostUnreachable: "host_unreachable",
	netx.Refused:         "refused",
	netx.Timeout:         "timeout",
	netx.Unsupported:     "unsupported",
	netx.BadAddress:      "bad_address",
	netx.NotFound:        "not_found",
	netx.NoFamily:        "no_family",
	netx.TunnelDown:      "tunnel_down",
	netx.ServerDraining:  "server_draining",
}

// indexOf returns the position of s in set, or -1. The sets hold two to five
// values, so a scan beats a map and does not allocate.
func indexOf(set []string, s string) int {
	for i, v := range set {
		if v == s {
			return i
		}
	}
	return -1
}

// oneOf returns s if it is in set, else fallback.
func oneOf(set []string, s, fallback string) string {
	if indexOf(set, s) >= 0 {
		return s
	}
	return fallback
}

// token returns s if it is a short snake_case word (how reasons are spelt),
// else "other".
func token(s string) string {
	if s == "" || len(s) > 32 {
		return other
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return other
		}
	}
	return s
}
