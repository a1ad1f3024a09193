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
	ServerHosts []string     // SERVER_IP and SERVER_IP_V6 entries; IP literals are never routed
	LocalIP     string       // WG_LOCAL_IP ("10.8.0.2/24"); its subnet is routed
	MTU         int          // MTU_SIZE; 0 leaves MTU alone
	Keepalive   int          // KEEPALIVE_INTERVAL in seconds; negative leaves it alone
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
	servers := serverAddrs(o.ServerHosts)
	subnets, err := c.tunnelSubnets(iface, o.LocalIP)
	if err != nil {
		return nil, err
	}
	kept, notes := c.keptRoutes(peer, servers)
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
	for _, p := range listed {
		add(p)
	}
	c.setManaged(iface, peer, Managed{Endpoint: o.Endpoint, AllowedIPs: routes, MTU: o.MTU, Keepalive: o.Keepalive})
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

func serverAddrs(hosts []string) map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(h), "[]")); err == nil {
			m[a.Unmap().WithZone("")] = true
		}
	}
	return m
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
			p, err := parsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("tunnel address %q: %w", f, err)
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// keptRoutes are the peer's AllowedIPs that autovpn did not write: network
// routes (0.0.0.0/0, an office LAN). Host routes are the old list and are
// rebuilt; non-canonical prefixes (the older toolkit's "IPv6/32") and routes
// covering the server are dropped.
func (c *Conf) keptRoutes(peer section, servers map[netip.Addr]bool) (kept []netip.Prefix, notes []string) {
	vals, _ := c.get(peer, "AllowedIPs")
	for _, v := range vals {
		for _, f := range splitList(v) {
			p, err := netip.ParsePrefix(f)
			if err != nil || p.IsSingleIP() {
				continue
			}
			if p != p.Masked() {
				notes = append(notes, fmt.Sprintf("dropped AllowedIPs %s: a host address with a network mask (the older toolkit's mistake)", p))
				continue
			}
			if p.Bits() > 0 && coversAny(p, servers) {
				notes = append(notes, fmt.Sprintf("dropped AllowedIPs %s: it contains the server's address", p))
				continue
			}
			kept = append(kept, p)
		}
	}
	return kept, notes
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

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
