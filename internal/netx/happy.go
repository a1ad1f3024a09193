package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// RFC 8305 timing defaults.
const (
	DefaultAttemptDelay    = 250 * time.Millisecond // Connection Attempt Delay (§5)
	DefaultResolutionDelay = 50 * time.Millisecond  // Resolution Delay (§3)
	minAttemptDelay        = 10 * time.Millisecond  // §5: MUST NOT be less than 10 ms
)

// AttemptFunc makes one connection attempt to one address. ctx governs the
// attempt only: cancelling it after the function returned must not affect the
// returned connection.
type AttemptFunc func(ctx context.Context, addr netip.AddrPort) (net.Conn, error)

// ErrOutrun is the error an AttemptReport carries for an attempt that had
// not answered within the Connection Attempt Delay when an address of the
// other family connected: that family is at best slow, typically black-holed.
var ErrOutrun = errors.New("no answer before the other address family connected")

// AttemptReport is what one attempt taught about its address (and family).
type AttemptReport struct {
	Addr     netip.AddrPort
	Duration time.Duration // from the attempt's start to its outcome
	Err      error         // nil: this attempt won; ErrOutrun; or why it failed
}

// HappyEyeballs dials by RFC 8305 (Happy Eyeballs v2): addresses of both
// families interleaved, the preferred family first, a new attempt every
// Delay or as soon as the previous one failed, first success wins. The zero
// value is usable. The standard net.Dialer implements only RFC 6555.
type HappyEyeballs struct {
	// Attempt makes one attempt; nil means a net.Dialer over "tcp".
	Attempt AttemptFunc
	// Delay between the starts of two attempts (Connection Attempt Delay).
	// 0 means DefaultAttemptDelay; a value below 10 ms is raised to 10 ms.
	Delay time.Duration
	// ResolutionDelay is how long DialContext waits for the preferred
	// family's answer once the other family answered. 0 means
	// DefaultResolutionDelay; negative means do not wait.
	ResolutionDelay time.Duration
	// Lookup resolves host for network "ip4" or "ip6"; nil means
	// net.DefaultResolver.LookupNetIP.
	Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Policy says which families may be dialled and which goes first.
	Policy Policy
	// Order, if set, is given the policy's preference (IPv6 first?) and
	// returns the family to try first; a path memory plugs in here. Nil
	// means the policy decides.
	Order func(v6First bool) bool
	// Report, if set, is called (on the dialling goroutine, before the dial
	// returns) for every attempt that failed, won, or was outrun by the other
	// family. Attempts still in flight when the caller cancels are not
	// reported; those running longer than Delay when the caller's deadline
	// passes are reported as timeouts.
	Report func(AttemptReport)
}

// DialAddrs races connections to addrs and returns the first that connects
// and its address. Addresses the policy forbids are never touched;
// duplicates are tried once. When every attempt fails the error names the
// most telling failure (see ClassifyDialError) and CodeOf gives its code.
func (h *HappyEyeballs) DialAddrs(ctx context.Context, addrs []netip.AddrPort) (net.Conn, netip.AddrPort, error) {
	subject := addrsSubject(addrs)
	if len(addrs) == 0 {
		return nil, netip.AddrPort{}, &DialError{Code: NotFound, Addr: subject, Msg: "no address to dial"}
	}
	r := newRace(ctx, h, subject, h.Policy)
	r.add(addrs)
	if len(r.known) == 0 {
		r.cancel()
		return nil, netip.AddrPort{}, noFamilyError(subject, h.Policy, "")
	}
	r.gateOpen = true
	return r.run()
}

// DialContext dials address ("host:port"; host a name or an IP literal) over
// network "tcp", "tcp4" or "tcp6". A name is resolved for A and AAAA in
// parallel (only the families the policy allows) and connecting starts as
// soon as the preferred family answers, or ResolutionDelay after the other
// family answered first; later answers join the race. It matches DialFunc.
func (h *HappyEyeballs) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	policy, err := narrowPolicy(h.Policy, network, address)
	if err != nil {
		return nil, err
	}
	host, port, err := splitHostPort(ctx, address)
	if err != nil {
		return nil, err
	}
	if ip, perr := netip.ParseAddr(host); perr == nil {
		hh := *h
		hh.Policy = policy
		c, _, err := hh.DialAddrs(ctx, []netip.AddrPort{netip.AddrPortFrom(ip, port)})
		return c, err
	}
	r := newRace(ctx, h, address, policy)
	r.resolve(host, port)
	c, _, err := r.run()
	if err != nil && r.resolutionFailed {
		err = h.explainNoFamily(ctx, policy, address, host, err)
	}
	return c, err
}

// SortAddrs interleaves addrs by family (RFC 8305 §4): the first family
// (IPv6 when v6First) first, then alternating while both last, keeping the
// order within each family. IPv4-mapped IPv6 addresses count as IPv4. It
// returns a new slice and filters nothing.
func SortAddrs(addrs []netip.AddrPort, v6First bool) []netip.AddrPort {
	var first, second []netip.AddrPort
	for _, a := range addrs {
		if isV6(a.Addr()) == v6First {
			first = append(first, a)
		} else {
			second = append(second, a)
		}
	}
	out := make([]netip.AddrPort, 0, len(addrs))
	for i := 0; i < len(first) || i < len(second); i++ {
		if i < len(first) {
			out = append(out, first[i])
		}
		if i < len(second) {
			out = append(out, second[i])
		}
	}
	return out
}

func isV6(a netip.Addr) bool { return !a.Unmap().Is4() }

func (h *HappyEyeballs) v6First(p Policy) bool {
	pref := p.PrefersIPv6()
	if h.Order != nil {
		pref = h.Order(pref)
	}
	return pref
}

func (h *HappyEyeballs) delay() time.Duration {
	switch {
	case h.Delay == 0:
		return DefaultAttemptDelay
	case h.Delay < minAttemptDelay:
		return minAttemptDelay
	}
	return h.Delay
}

func (h *HappyEyeballs) resolutionDelay() time.Duration {
	if h.ResolutionDelay == 0 {
		return DefaultResolutionDelay
	}
	return max(h.ResolutionDelay, 0)
}

func (h *HappyEyeballs) attempt() AttemptFunc {
	if h.Attempt != nil {
		return h.Attempt
	}
	return func(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr.String())
	}
}

func (h *HappyEyeballs) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if h.Lookup != nil {
		return h.Lookup(ctx, network, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// narrowPolicy restricts p to the family a "tcp4"/"tcp6" network names.
func narrowPolicy(p Policy, network, address string) (Policy, error) {
	switch network {
	case "tcp":
		return p, nil
	case "tcp4":
		if p == IPv6Only {
			return p, noFamilyError(address, p, "network tcp4")
		}
		return IPv4Only, nil
	case "tcp6":
		if p == IPv4Only {
			return p, noFamilyError(address, p, "network tcp6")
		}
		return IPv6Only, nil
	}
	return p, &DialError{Code: Unsupported, Addr: address,
		Msg: fmt.Sprintf("network %q is not tcp, tcp4 or tcp6", network)}
}

func splitHostPort(ctx context.Context, address string) (string, uint16, error) {
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, &DialError{Code: BadAddress, Addr: address, Msg: err.Error()}
	}
	if n, err := strconv.ParseUint(ps, 10, 16); err == nil {
		return host, uint16(n), nil
	}
	n, err := net.DefaultResolver.LookupPort(ctx, "tcp", ps)
	if err != nil || n <= 0 || n > 65535 {
		return "", 0, &DialError{Code: BadAddress, Addr: address,
			Msg: fmt.Sprintf("port %q is not a number (1-65535) or known service", ps)}
	}
	return host, uint16(n), nil
}

// noFamilyError says which family was missing: "no IPv4 address" when the
// policy allows only IPv4, and so on. why adds detail.
func noFamilyError(subject string, p Policy, why string) *DialError {
	msg := "no address of an allowed family"
	switch p {
	case IPv4Only:
		msg = "no IPv4 address"
	case IPv6Only:
		msg = "no IPv6 address"
	}
	if why == "" {
		why = "policy " + p.String()
	} else {
		why += "; policy " + p.String()
	}
	return &DialError{Code: NoFamily, Addr: subject, Msg: msg + " (" + why + ")"}
}

// explainNoFamily turns "name not found" under a one-family policy into
// NoFamily when the name does have addresses of the other family, so an
// AAAA-only destination on an IPv4-only dialer says so instead of NXDOMAIN.
func (h *HappyEyeballs) explainNoFamily(ctx context.Context, p Policy, address, host string, err error) error {
	other := ""
	switch p {
	case IPv4Only:
		other = "ip6"
	case IPv6Only:
		other = "ip4"
	default:
		return err
	}
	ips, lerr := h.lookup(ctx, other, host)
	if lerr != nil || len(ips) == 0 {
		return err
	}
	fam := "IPv6"
	if other == "ip4" {
		fam = "IPv4"
	}
	return noFamilyError(address, p, "the name has only "+fam+" addresses")
}

// addrsSubject names an address list in errors: the first address and how
// many more.
func addrsSubject(addrs []netip.AddrPort) string {
	switch len(addrs) {
	case 0:
		return "(no addresses)"
	case 1:
		return addrs[0].String()
	}
	return fmt.Sprintf("%s (+%d more)", addrs[0], len(addrs)-1)
}
