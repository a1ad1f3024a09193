package metrics

import (
	"errors"
	"net"
	"net/netip"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// The client's and the server's own Events interfaces are narrower than
// StreamEvents (they predate the family label on stream failures and active
// streams, and the client's has no DNSAnswers). The helpers below report
// through the family-aware method when the value behind such an interface
// has it, as this package's Client and Server do, and fall back to the
// narrow method otherwise. None of them allocates for a known family.

type (
	familyFailer interface {
		StreamFailureFamily(kind, family, reason string)
	}
	familyCloser interface{ StreamClosedFamily(kind, family string) }
	dnsCounter   interface{ DNSAnswers(qtype string, n int) }
)

// Failure counts a failed open of kind on e with family and reason (see
// StreamEvents.StreamFailureFamily).
func Failure(e interface{ StreamFailure(kind, reason string) }, kind, family, reason string) {
	if f, ok := e.(familyFailer); ok {
		f.StreamFailureFamily(kind, family, reason)
		return
	}
	e.StreamFailure(kind, reason)
}

// Closed ends on e a stream opened with StreamOpen(kind, family).
func Closed(e interface{ StreamClosed(kind string) }, kind, family string) {
	if c, ok := e.(familyCloser); ok {
		c.StreamClosedFamily(kind, family)
		return
	}
	e.StreamClosed(kind)
}

// ResolveAnswers counts on e (if it counts DNS answers at all) the A and
// AAAA records of the answers a resolve stream returned.
func ResolveAnswers(e any, answers []wire.NameAnswer) {
	d, ok := e.(dnsCounter)
	if !ok {
		return
	}
	v4, v6 := 0, 0
	for _, a := range answers {
		for _, r := range a.Records {
			if r.IP.Unmap().Is4() {
				v4++
			} else if r.IP.IsValid() {
				v6++
			}
		}
	}
	d.DNSAnswers("A", v4)
	d.DNSAnswers("AAAA", v6)
}

// AddrFamily is the family of a network address: of a stream's RemoteAddr
// it is the family of the tunnel the stream rides on. Nil or an address
// that is not IP is "unknown".
func AddrFamily(a net.Addr) string {
	switch a := a.(type) {
	case nil:
		return FamilyUnknown
	case *net.TCPAddr:
		return FamilyOf(a.AddrPort().Addr())
	case *net.UDPAddr:
		return FamilyOf(a.AddrPort().Addr())
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return FamilyOf(ap.Addr())
	}
	return FamilyUnknown
}

// TunnelFamily is the family of the tunnel session s (the address of its
// peer), "unknown" for a nil session (no tunnel).
func TunnelFamily[T any, S interface {
	*T
	Remote() netip.AddrPort
}](s S) string {
	if s == nil {
		return FamilyUnknown
	}
	return FamilyOf(s.Remote().Addr())
}

// FamilyOr is the family of ip, or fallback when ip is the zero Addr (a
// destination given as a name).
func FamilyOr(ip netip.Addr, fallback string) string {
	if ip.IsValid() {
		return FamilyOf(ip)
	}
	return fallback
}

// FailureFamily is the family label of a failed open: that of the
// destination when err (a *netx.DialError) names a single IP address, else
// that of the tunnel (see AddrFamily of the stream's RemoteAddr).
func FailureFamily(err error, tunnel net.Addr) string {
	var de *netx.DialError
	if errors.As(err, &de) {
		if ap, perr := netip.ParseAddrPort(de.Addr); perr == nil {
			return FamilyOf(ap.Addr())
		}
		if ip, perr := netip.ParseAddr(de.Addr); perr == nil {
			return FamilyOf(ip)
		}
	}
	return AddrFamily(tunnel)
}
