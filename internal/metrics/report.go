package metrics

import (
	"errors"
	"net"
	"net/netip"

	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// ResolveAnswers counts on e the A and AAAA records of the answers a
// resolve stream returned.
func ResolveAnswers(e interface{ DNSAnswers(qtype string, n int) }, answers []wire.NameAnswer) {
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
	e.DNSAnswers("A", v4)
	e.DNSAnswers("AAAA", v6)
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
