package dns

import "net/netip"

// Rejected is an answer FilterBogus refused, with the reason in words.
type Rejected struct {
	Record
	Reason string
}

// bogusRanges are addresses no public name can really have: answers in them
// come from a fake-IP proxy, a poisoned resolver or a sinkhole.
var bogusRanges = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified/this-network address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking range 198.18.0.0/15 (fake-IP proxies answer from it)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved/broadcast address"},
	{netip.MustParsePrefix("::/128"), "unspecified address"},
	{netip.MustParsePrefix("::1/128"), "loopback address"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped IPv6 address"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6 address (deprecated)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "multicast address"},
}

// BogusReason says why ip cannot be a real answer for a public name, or ""
// when it can.
func BogusReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid address"
	}
	if ip.Zone() != "" {
		return "address with a zone"
	}
	for _, b := range bogusRanges {
		if b.prefix.Contains(ip) {
			return b.reason
		}
	}
	return ""
}

// FilterBogus splits records into those that may be real and those that
// cannot (unspecified, loopback, link-local, multicast, reserved,
// 198.18.0.0/15 fake-IP, IPv4-mapped or -compatible IPv6), each with a reason.
func FilterBogus(records []Record) (kept []Record, rejected []Rejected) {
	for _, r := range records {
		if reason := BogusReason(r.IP); reason != "" {
			rejected = append(rejected, Rejected{Record: r, Reason: reason})
			continue
		}
		kept = append(kept, r)
	}
	return kept, rejected
}
