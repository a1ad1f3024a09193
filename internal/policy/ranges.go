package policy

import (
	"net/netip"
)

// deniedRange is one entry of the default deny list. Order matters: the first
// match names the reason, so narrow entries (cloud metadata) come before the
// ranges that contain them.
type deniedRange struct {
	prefix netip.Prefix
	reason string // "private range 10.0.0.0/8", "cloud metadata address 169.254.169.254"
}

func rng(cidr, kind string) deniedRange {
	p := netip.MustParsePrefix(cidr)
	if p.IsSingleIP() {
		return deniedRange{prefix: p, reason: kind + " " + p.Addr().String()}
	}
	return deniedRange{prefix: p, reason: kind + " " + p.String()}
}

// denied4 is the default deny list for IPv4 (RFC 6890 special-purpose
// registry plus cloud metadata endpoints).
var denied4 = []deniedRange{
	rng("169.254.169.254/32", "cloud metadata address"), // AWS, GCP, Azure, DigitalOcean, ...
	rng("100.100.100.200/32", "cloud metadata address"), // Alibaba Cloud
	rng("168.63.129.16/32", "cloud metadata address"),   // Azure WireServer (public space)
	rng("0.0.0.0/8", "unspecified range"),
	rng("127.0.0.0/8", "loopback range"),
	rng("10.0.0.0/8", "private range"),
	rng("172.16.0.0/12", "private range"),
	rng("192.168.0.0/16", "private range"),
	rng("169.254.0.0/16", "link-local range"),
	rng("100.64.0.0/10", "CGNAT range"),
	rng("224.0.0.0/4", "multicast range"),
	rng("255.255.255.255/32", "broadcast address"),
	rng("240.0.0.0/4", "reserved range"),
	rng("192.0.2.0/24", "documentation range"),
	rng("198.51.100.0/24", "documentation range"),
	rng("203.0.113.0/24", "documentation range"),
	rng("198.18.0.0/15", "benchmarking range"),
	rng("192.0.0.0/24", "IETF protocol assignments range"),
}

// denied6 is the default deny list for native IPv6 ranges. The forms that
// embed an IPv4 address are handled by embedded6, except the local-use NAT64
// prefix, which is denied whatever it embeds.
var denied6 = []deniedRange{
	rng("::/128", "unspecified address"),
	rng("::1/128", "loopback address"),
	rng("fd00:ec2::254/128", "cloud metadata address"), // AWS IMDS over IPv6
	rng("fc00::/7", "private range"),
	rng("fe80::/10", "link-local range"),
	rng("fec0::/10", "site-local range"),
	rng("ff00::/8", "multicast range"),
	rng("2001:db8::/32", "documentation range"),
	rng("3fff::/20", "documentation range"),
	rng("100::/64", "discard-only range"),
	rng("64:ff9b:1::/48", "local-use NAT64 range"),
	rng("2001:2::/48", "benchmarking range"),
	rng("2001:10::/28", "ORCHID range"),
	rng("2001:20::/28", "ORCHID range"),
	rng("5f00::/16", "SRv6 SID range"),
}

// Prefixes of the IPv6 forms that carry an IPv4 address inside them.
var (
	prefixTranslated = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT, RFC 2765
	prefixCompat     = netip.MustParsePrefix("::/96")
	prefixNAT64      = netip.MustParsePrefix("64:ff9b::/96")
	prefix6to4       = netip.MustParsePrefix("2002::/16")
	prefixTeredo     = netip.MustParsePrefix("2001::/32")
	globalUnicast    = netip.MustParsePrefix("2000::/3")
)

func classify4(a netip.Addr) (bool, string) {
	for _, r := range denied4 {
		if r.prefix.Contains(a) {
			return true, r.reason
		}
	}
	return false, ""
}

func classify6(a netip.Addr) (bool, string) {
	for _, r := range denied6 {
		if r.prefix.Contains(a) {
			return true, r.reason
		}
	}
	if denied, why := classifyEmbedded(a); denied {
		return true, why
	}
	// Only 2000::/3 is allocated for global unicast; what lies outside it
	// (bar the NAT64 prefix) is reserved and never reaches the Internet.
	if !globalUnicast.Contains(a) && !prefixNAT64.Contains(a) {
		return true, "reserved range outside global unicast 2000::/3"
	}
	return false, ""
}

// embedded is one IPv6 form that carries IPv4 addresses.
type embedded struct {
	name   string
	prefix netip.Prefix
	// extract returns the IPv4 addresses the form carries; the second is
	// the zero Addr when there is only one.
	extract func(b [16]byte) (netip.Addr, netip.Addr)
}

var embeddedForms = []embedded{
	{"IPv4-translated", prefixTranslated, lastFour},
	{"IPv4-compatible", prefixCompat, lastFour},
	{"NAT64", prefixNAT64, lastFour},
	{"6to4", prefix6to4, func(b [16]byte) (netip.Addr, netip.Addr) {
		return netip.AddrFrom4([4]byte(b[2:6])), netip.Addr{}
	}},
	// Teredo (RFC 4380): 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC with the
	// server's IPv4 in bits 32-64 and the client's, inverted, in the last 32.
	{"Teredo", prefixTeredo, func(b [16]byte) (netip.Addr, netip.Addr) {
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return client, netip.AddrFrom4([4]byte(b[4:8]))
	}},
}

func lastFour(b [16]byte) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte(b[12:16])), netip.Addr{}
}

func classifyEmbedded(a netip.Addr) (bool, string) {
	for _, f := range embeddedForms {
		if !f.prefix.Contains(a) {
			continue
		}
		first, second := f.extract(a.As16())
		for i, v4 := range [2]netip.Addr{first, second} {
			if !v4.IsValid() {
				continue
			}
			if denied, why := classify4(v4); denied {
				return true, f.name + formRole(f.name, i) + " form of " + v4.String() + " (" + why + ")"
			}
		}
		if f.prefix == prefixCompat {
			// IPv4-compatible addresses are deprecated (RFC 4291 §2.5.5.1) and
			// never routed: nothing legitimate hides behind one.
			return true, "deprecated IPv4-compatible range ::/96"
		}
		return false, ""
	}
	return false, ""
}

// formRole tells the Teredo client and server addresses apart in reasons.
func formRole(form string, i int) string {
	if form != "Teredo" {
		return ""
	}
	if i == 0 {
		return " client"
	}
	return " server"
}
