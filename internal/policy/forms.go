package policy

// Example is one address the default policy has been tested against, with
// the verdict and reason Classify gives it. Forms lists them so documentation
// can quote what the policy does; the package tests assert every row.
type Example struct {
	Form   string // what the row shows, e.g. "6to4 of loopback"
	Addr   string
	Denied bool
	Reason string // Classify's reason, "" when allowed
}

// Forms is the table of tried addresses: every denied range of both
// families, every IPv6 form embedding an IPv4 address, boundaries and public
// addresses that must stay allowed.
var Forms = []Example{
	// IPv4 denied ranges.
	{"IPv4 unspecified", "0.0.0.0", true, "unspecified range 0.0.0.0/8"},
	{"IPv4 this-network", "0.1.2.3", true, "unspecified range 0.0.0.0/8"},
	{"IPv4 loopback", "127.0.0.1", true, "loopback range 127.0.0.0/8"},
	{"IPv4 loopback, high end", "127.255.255.254", true, "loopback range 127.0.0.0/8"},
	{"private 10/8", "10.0.0.5", true, "private range 10.0.0.0/8"},
	{"private 172.16/12", "172.16.0.1", true, "private range 172.16.0.0/12"},
	{"private 172.16/12, high end", "172.31.255.255", true, "private range 172.16.0.0/12"},
	{"private 192.168/16", "192.168.1.1", true, "private range 192.168.0.0/16"},
	{"IPv4 link-local", "169.254.1.1", true, "link-local range 169.254.0.0/16"},
	{"cloud metadata (AWS, GCP, Azure)", "169.254.169.254", true, "cloud metadata address 169.254.169.254"},
	{"cloud metadata (Alibaba)", "100.100.100.200", true, "cloud metadata address 100.100.100.200"},
	{"cloud metadata (Azure WireServer)", "168.63.129.16", true, "cloud metadata address 168.63.129.16"},
	{"CGNAT", "100.64.0.1", true, "CGNAT range 100.64.0.0/10"},
	{"CGNAT, high end", "100.127.255.255", true, "CGNAT range 100.64.0.0/10"},
	{"IPv4 multicast", "224.0.0.251", true, "multicast range 224.0.0.0/4"},
	{"IPv4 multicast, high end", "239.255.255.250", true, "multicast range 224.0.0.0/4"},
	{"broadcast", "255.255.255.255", true, "broadcast address 255.255.255.255"},
	{"IPv4 reserved", "240.0.0.1", true, "reserved range 240.0.0.0/4"},
	{"TEST-NET-1", "192.0.2.10", true, "documentation range 192.0.2.0/24"},
	{"TEST-NET-2", "198.51.100.7", true, "documentation range 198.51.100.0/24"},
	{"TEST-NET-3", "203.0.113.9", true, "documentation range 203.0.113.0/24"},
	{"IPv4 benchmarking", "198.18.0.1", true, "benchmarking range 198.18.0.0/15"},
	{"IPv4 benchmarking, high end", "198.19.255.255", true, "benchmarking range 198.18.0.0/15"},
	{"IETF protocol assignments", "192.0.0.8", true, "IETF protocol assignments range 192.0.0.0/24"},

	// IPv4 boundaries and public addresses.
	{"public IPv4", "8.8.8.8", false, ""},
	{"public IPv4", "1.1.1.1", false, ""},
	{"just below 10/8", "9.255.255.255", false, ""},
	{"just above 10/8", "11.0.0.0", false, ""},
	{"just below 172.16/12", "172.15.255.255", false, ""},
	{"just above 172.16/12", "172.32.0.0", false, ""},
	{"just below CGNAT", "100.63.255.255", false, ""},
	{"just above CGNAT", "100.128.0.0", false, ""},
	{"just above loopback", "128.0.0.0", false, ""},
	{"just below multicast", "223.255.255.255", false, ""},
	{"just above benchmarking", "198.20.0.0", false, ""},

	// IPv6 denied ranges.
	{"IPv6 unspecified", "::", true, "unspecified address ::"},
	{"IPv6 loopback", "::1", true, "loopback address ::1"},
	{"ULA", "fd12:3456::1", true, "private range fc00::/7"},
	{"ULA, fc half", "fc00::1", true, "private range fc00::/7"},
	{"cloud metadata (AWS IPv6)", "fd00:ec2::254", true, "cloud metadata address fd00:ec2::254"},
	{"IPv6 link-local", "fe80::1", true, "link-local range fe80::/10"},
	{"IPv6 link-local with zone", "fe80::1%eth0", true, "zone-scoped address"},
	{"site-local", "fec0::1", true, "site-local range fec0::/10"},
	{"IPv6 multicast", "ff02::1", true, "multicast range ff00::/8"},
	{"IPv6 multicast, global scope", "ff0e::101", true, "multicast range ff00::/8"},
	{"IPv6 documentation", "2001:db8::10", true, "documentation range 2001:db8::/32"},
	{"IPv6 documentation (RFC 9637)", "3fff::1", true, "documentation range 3fff::/20"},
	{"discard-only", "100::1", true, "discard-only range 100::/64"},
	{"IPv6 benchmarking", "2001:2::1", true, "benchmarking range 2001:2::/48"},
	{"ORCHIDv2", "2001:20::1", true, "ORCHID range 2001:20::/28"},
	{"SRv6 SIDs", "5f00::1", true, "SRv6 SID range 5f00::/16"},
	{"outside global unicast", "4000::1", true, "reserved range outside global unicast 2000::/3"},
	{"local-use NAT64", "64:ff9b:1::808:808", true, "local-use NAT64 range 64:ff9b:1::/48"},

	// IPv6 public addresses.
	{"public IPv6 (Cloudflare)", "2606:4700::1111", false, ""},
	{"public IPv6 (Google)", "2001:4860:4860::8888", false, ""},
	{"just above documentation", "2001:db9::1", false, ""},

	// IPv4-mapped ::ffff:a.b.c.d: the verdict of the IPv4 address.
	{"mapped loopback", "::ffff:127.0.0.1", true, "IPv4-mapped form of 127.0.0.1 (loopback range 127.0.0.0/8)"},
	{"mapped private", "::ffff:10.0.0.5", true, "IPv4-mapped form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"mapped metadata", "::ffff:169.254.169.254", true, "IPv4-mapped form of 169.254.169.254 (cloud metadata address 169.254.169.254)"},
	{"mapped private 192.168", "::ffff:192.168.1.1", true, "IPv4-mapped form of 192.168.1.1 (private range 192.168.0.0/16)"},
	{"mapped unspecified", "::ffff:0.0.0.0", true, "IPv4-mapped form of 0.0.0.0 (unspecified range 0.0.0.0/8)"},
	{"mapped public", "::ffff:8.8.8.8", false, ""},

	// IPv4-compatible ::a.b.c.d (deprecated, denied whatever it embeds).
	{"compatible loopback", "::127.0.0.1", true, "IPv4-compatible form of 127.0.0.1 (loopback range 127.0.0.0/8)"},
	{"compatible private", "::10.0.0.5", true, "IPv4-compatible form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"compatible metadata", "::169.254.169.254", true, "IPv4-compatible form of 169.254.169.254 (cloud metadata address 169.254.169.254)"},
	{"compatible private 192.168", "::192.168.1.1", true, "IPv4-compatible form of 192.168.1.1 (private range 192.168.0.0/16)"},
	{"compatible public", "::8.8.8.8", true, "deprecated IPv4-compatible range ::/96"},

	// IPv4-translated ::ffff:0:a.b.c.d (SIIT).
	{"translated private", "::ffff:0:10.0.0.5", true, "IPv4-translated form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"translated public", "::ffff:0:8.8.8.8", true, "reserved range outside global unicast 2000::/3"},

	// NAT64 64:ff9b::/96.
	{"NAT64 loopback", "64:ff9b::7f00:1", true, "NAT64 form of 127.0.0.1 (loopback range 127.0.0.0/8)"},
	{"NAT64 private", "64:ff9b::a00:5", true, "NAT64 form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"NAT64 metadata", "64:ff9b::a9fe:a9fe", true, "NAT64 form of 169.254.169.254 (cloud metadata address 169.254.169.254)"},
	{"NAT64 private 192.168", "64:ff9b::192.168.1.1", true, "NAT64 form of 192.168.1.1 (private range 192.168.0.0/16)"},
	{"NAT64 public", "64:ff9b::808:808", false, ""},

	// 6to4 2002:AABB:CCDD::/48.
	{"6to4 loopback", "2002:7f00:1::1", true, "6to4 form of 127.0.0.1 (loopback range 127.0.0.0/8)"},
	{"6to4 private", "2002:a00:5::1", true, "6to4 form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"6to4 metadata", "2002:a9fe:a9fe::1", true, "6to4 form of 169.254.169.254 (cloud metadata address 169.254.169.254)"},
	{"6to4 private 192.168", "2002:c0a8:101:1::1", true, "6to4 form of 192.168.1.1 (private range 192.168.0.0/16)"},
	{"6to4 public", "2002:808:808::1", false, ""},

	// Teredo 2001:0:SERVER:flags:port:^CLIENT.
	{"Teredo client loopback", "2001:0:4136:e378:8000:63bf:80ff:fffe", true, "Teredo client form of 127.0.0.1 (loopback range 127.0.0.0/8)"},
	{"Teredo client private", "2001:0:4136:e378:8000:63bf:f5ff:fffa", true, "Teredo client form of 10.0.0.5 (private range 10.0.0.0/8)"},
	{"Teredo client metadata", "2001:0:4136:e378:8000:63bf:5601:5601", true, "Teredo client form of 169.254.169.254 (cloud metadata address 169.254.169.254)"},
	{"Teredo client private 192.168", "2001:0:4136:e378:8000:63bf:3f57:fefe", true, "Teredo client form of 192.168.1.1 (private range 192.168.0.0/16)"},
	{"Teredo RFC 4380 example (client in TEST-NET-1)", "2001:0:4136:e378:8000:63bf:3fff:fdd2", true, "Teredo client form of 192.0.2.45 (documentation range 192.0.2.0/24)"},
	{"Teredo server private", "2001:0:a00:1:8000:63bf:f7f7:f7f7", true, "Teredo server form of 10.0.0.1 (private range 10.0.0.0/8)"},
	{"Teredo public", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", false, ""},
}
