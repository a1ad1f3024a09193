package wgconf

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// allowedPerLine keeps AllowedIPs lines readable and diffs small; WireGuard
// adds up repeated AllowedIPs keys.
const allowedPerLine = 10

// SyncOptions say what Sync writes.
type SyncOptions struct {
	Endpoint    string       // "127.0.0.1:WSTUNNEL_PORT"
	IPs         []netip.Addr // the IP list, both families
	ServerHosts []string     // SERVER_IP and SERVER_IP_V6 entries (IP literals or names); never routed
	LocalIP     string       // WG_LOCAL_IP ("10.8.0.2/24"); its subnet is routed
	MTU         int          // MTU_SIZE; 0 leaves MTU alone
	Keepalive   int          // KEEPALIVE_INTERVAL in seconds; negative leaves it alone
	// Resolve returns the addresses (A and AAAA) of a ServerHosts entry
	// that is a name, so that no route carries the server's own traffic
	// into the tunnel. Sync refuses when a name does not resolve (or when
	// Resolve is nil): without the server's addresses it cannot keep them out.
	Resolve func(host string) ([]netip.Addr, error)
}

// Sync updates the tunnel peer and the [Interface]. It returns notes on what
// it left out (server addresses, loopback, dropped stale routes).
func (c *Conf) Sync(o SyncOptions) (notes []string, err error) {
	iface, err := c.iface()
	if err != nil {
		return nil, err
	}
	peer, err := c.tunnelPeer(o)
	if err != nil {
		return nil, err
	}
	subnets, err := c.tunnelSubnets(iface, o.LocalIP)
	if err != nil {
		return nil, err
	}
	servers, err := serverAddrs(o.ServerHosts, o.Resolve)
	if err != nil {
		return nil, err
	}
	var listed []netip.Prefix
	for _, a := range o.IPs {
		a = a.Unmap().WithZone("")
		switch {
		case servers[a]:
			notes = append(notes, fmt.Sprintf("%s is the server's own address: not routed into the tunnel", a))
		case a.IsLoopback() || a.IsUnspecified() || !a.IsValid():
			notes = append(notes, fmt.Sprintf("%s is a loopback or unspecified address: not routed", a))
		default:
			listed = append(listed, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].Addr().Less(listed[j].Addr()) })
	kept, bare, keptNotes := c.keptRoutes(peer, servers, listed)
	notes = append(keptNotes, notes...)
	set := map[netip.Prefix]bool{}
	var routes []netip.Prefix
	add := func(p netip.Prefix) {
		if !set[p] {
			set[p] = true
			routes = append(routes, p)
		}
	}
	for _, p := range append(subnets, kept...) {
		add(p)
	}
	for _, p := range listed {
		add(p)
	}
	c.setManaged(iface, peer, Managed{Endpoint: o.Endpoint, AllowedIPs: routes, MTU: o.MTU, Keepalive: o.Keepalive, Bare: bare}, false)
	return notes, c.Validate()
}

func (c *Conf) iface() (section, error) {
	ss := c.sectionsNamed("interface")
	if len(ss) != 1 {
		return section{}, fmt.Errorf("want exactly one [Interface] section, found %d", len(ss))
	}
	return ss[0], nil
}

// tunnelPeer is the [Peer] whose Endpoint is on loopback (the local UDP
// forward) or is the server, else the only peer.
func (c *Conf) tunnelPeer(o SyncOptions) (section, error) {
	peers := c.sectionsNamed("peer")
	if len(peers) == 0 {
		return section{}, errors.New("no [Peer] section; add the server's peer (PublicKey) first")
	}
	servers := map[string]bool{}
	for _, h := range o.ServerHosts {
		servers[strings.ToLower(strings.Trim(h, "[] "))] = true
	}
	for _, p := range peers {
		v, _ := c.get(p, "Endpoint")
		if len(v) == 0 {
			continue
		}
		host := v[0]
		if i := strings.LastIndex(host, ":"); i > 0 {
			host = host[:i]
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if a, err := netip.ParseAddr(host); (err == nil && a.IsLoopback()) || host == "localhost" || servers[host] {
			return p, nil
		}
	}
	if len(peers) == 1 {
		return peers[0], nil
	}
	return section{}, fmt.Errorf("%d [Peer] sections and none has its Endpoint on 127.0.0.1 or the server; set Endpoint = %s in the tunnel peer", len(peers), o.Endpoint)
}

// serverAddrs are the server's addresses: the IP literals of hosts and what
// resolve returns for the names among them.
func serverAddrs(hosts []string, resolve func(string) ([]netip.Addr, error)) (map[netip.Addr]bool, error) {
	m := map[netip.Addr]bool{}
	for _, h := range hosts {
		h = strings.Trim(strings.TrimSpace(h), "[]")
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			m[a.Unmap().WithZone("")] = true
			continue
		}
		if resolve == nil {
			return nil, fmt.Errorf("server %q is a name and no resolver was given to find its addresses", h)
		}
		addrs, err := resolve(h)
		if err == nil && len(addrs) == 0 {
			err = errors.New("no A or AAAA records")
		}
		if err != nil {
			return nil, fmt.Errorf("server %q: cannot resolve it to keep its addresses out of AllowedIPs: %w; "+
				"fix the name or DNS, or set SERVER_IP to the server's IP address", h, err)
		}
		for _, a := range addrs {
			m[a.Unmap().WithZone("")] = true
		}
	}
	return m, nil
}

// tunnelSubnets are the networks of WG_LOCAL_IP and of the Address lines.
func (c *Conf) tunnelSubnets(iface section, localIP string) ([]netip.Prefix, error) {
	vals, _ := c.get(iface, "Address")
	if localIP != "" {
		vals = append([]string{localIP}, vals...)
	}
	var out []netip.Prefix
	for _, v := range vals {
		for _, f := range splitList(v) {
			p, _, err := parseAllowed(f)
			if err != nil {
				return nil, fmt.Errorf("tunnel address %q: %w", f, err)
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// keptRoutes are the peer's AllowedIPs that autovpn did not write: network
// routes (0.0.0.0/0, an office LAN) and addresses written without a mask
// (the user's own host routes, since autovpn always writes /32 and /128;
// bare lists them). Host routes with a mask are the old list and are rebuilt
// from listed; non-canonical prefixes (the older toolkit's "IPv6/32"),
// routes covering the server, entries that do not parse and host routes no
// longer listed are dropped, each with a note.
func (c *Conf) keptRoutes(peer section, servers map[netip.Addr]bool, listed []netip.Prefix) (kept []netip.Prefix, bare []netip.Addr, notes []string) {
	isListed := map[netip.Prefix]bool{}
	for _, p := range listed {
		isListed[p] = true
	}
	var stale []string
	vals, _ := c.get(peer, "AllowedIPs")
	for _, v := range vals {
		for _, f := range splitList(v) {
			p, plain, err := parseAllowed(f)
			switch {
			case err != nil:
				notes = append(notes, fmt.Sprintf("dropped AllowedIPs %q: not an address or CIDR", f))
			case p != p.Masked():
				notes = append(notes, fmt.Sprintf("dropped AllowedIPs %s: a host address with a network mask (the older toolkit's mistake)", p))
			case p.Bits() > 0 && coversAny(p, servers):
				notes = append(notes, fmt.Sprintf("dropped AllowedIPs %s: it contains the server's address", f))
			case plain:
				kept = append(kept, p)
				bare = append(bare, p.Addr())
			case p.IsSingleIP():
				if !isListed[p] {
					stale = append(stale, p.String())
				}
			default:
				kept = append(kept, p)
			}
		}
	}
	if len(stale) > 0 {
		const show = 10
		list := strings.Join(stale[:min(show, len(stale))], ", ")
		if len(stale) > show {
			list += fmt.Sprintf(" and %d more", len(stale)-show)
		}
		notes = append(notes, fmt.Sprintf("dropped %d AllowedIPs host route(s) not in the IP list: %s "+
			"(autovpn rebuilds its /32 and /128 routes from the IP list; write an address without a mask to keep your own)", len(stale), list))
	}
	return kept, bare, notes
}

func coversAny(p netip.Prefix, addrs map[netip.Addr]bool) bool {
	for a := range addrs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseAllowed parses an Address or AllowedIPs entry: a CIDR, or a plain
// address, which WireGuard takes as a host route (/32 or /128; bare is true).
func parseAllowed(s string) (p netip.Prefix, bare bool, err error) {
	if strings.Contains(s, "/") {
		p, err = netip.ParsePrefix(s)
		return p, false, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, false, fmt.Errorf("%q: an IPv6 zone cannot be routed", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), true, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
