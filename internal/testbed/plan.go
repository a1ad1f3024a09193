package testbed

import (
	"fmt"
	"net/netip"
)

// Iface is one end of a link, inside its host's namespace.
type Iface struct {
	Name  string // interface name in the namespace, "l<link index>-<peer>" cut to 15 bytes
	Peer  string // host at the other end
	Stack Stack
	// V4 and V6 are this end's addresses with the link's prefix length;
	// invalid when the link does not carry the family.
	V4, V6 netip.Prefix
	link   int
	isA    bool // this end creates the veth pair
}

// Prefix returns the end's address of family f (invalid when absent).
func (i Iface) Prefix(f Family) netip.Prefix {
	if f == IPv4 {
		return i.V4
	}
	return i.V6
}

// route is one static route a host needs to reach a subnet it is not on.
type route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// plan fills in the interfaces and routes of every host of spec.
func plan(spec Spec) ([]*Host, error) {
	order, err := spec.hostOrder()
	if err != nil {
		return nil, err
	}
	byName := map[string]*Host{}
	hosts := make([]*Host, len(order))
	for i, name := range order {
		hosts[i] = &Host{Name: name}
		byName[name] = hosts[i]
	}
	for i, l := range spec.Links {
		for end, pair := range [2][2]string{{l.A, l.B}, {l.B, l.A}} {
			ifc := Iface{Name: ifaceName(i, pair[1]), Peer: pair[1], Stack: l.Stack, link: i, isA: end == 0}
			if l.Stack.Has(IPv4) {
				ifc.V4 = linkAddr(i, IPv4, byte(end+1))
			}
			if l.Stack.Has(IPv6) {
				ifc.V6 = linkAddr(i, IPv6, byte(end+1))
			}
			byName[pair[0]].Ifaces = append(byName[pair[0]].Ifaces, ifc)
		}
	}
	for _, h := range hosts {
		h.V4, h.V6 = firstAddr(h, IPv4), firstAddr(h, IPv6)
		h.forward = len(h.Ifaces) > 1
		for _, f := range []Family{IPv4, IPv6} {
			h.routes = append(h.routes, routesFrom(h, f, spec, byName)...)
		}
	}
	return hosts, nil
}

func ifaceName(link int, peer string) string {
	s := fmt.Sprintf("l%d-%s", link, peer)
	return s[:min(len(s), 15)]
}

func firstAddr(h *Host, f Family) netip.Addr {
	for _, ifc := range h.Ifaces {
		if p := ifc.Prefix(f); p.IsValid() {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// routesFrom finds, by breadth-first search over the links that carry f,
// the next hop from src towards every subnet src is not on.
func routesFrom(src *Host, f Family, spec Spec, byName map[string]*Host) []route {
	// firstHop[h] is src's interface on the shortest path to h.
	firstHop := map[string]Iface{}
	dist := map[string]int{src.Name: 0}
	queue := []*Host{src}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, ifc := range h.Ifaces {
			if _, seen := dist[ifc.Peer]; seen || !ifc.Stack.Has(f) {
				continue
			}
			dist[ifc.Peer] = dist[h.Name] + 1
			firstHop[ifc.Peer] = firstHop[h.Name]
			if h == src {
				firstHop[ifc.Peer] = ifc
			}
			queue = append(queue, byName[ifc.Peer])
		}
	}
	var routes []route
	for i, l := range spec.Links {
		if !l.Stack.Has(f) || l.A == src.Name || l.B == src.Name {
			continue
		}
		near := l.A
		if da, ok := dist[l.A]; !ok || (dist[l.B] < da && hasKey(dist, l.B)) {
			near = l.B
		}
		hop, ok := firstHop[near]
		if !ok {
			continue // unreachable over this family
		}
		peer := byName[hop.Peer]
		routes = append(routes, route{Dst: linkPrefix(i, f), Via: peerAddr(peer, hop.link, f)})
	}
	return routes
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// peerAddr is h's address of family f on link.
func peerAddr(h *Host, link int, f Family) netip.Addr {
	for _, ifc := range h.Ifaces {
		if ifc.link == link {
			return ifc.Prefix(f).Addr()
		}
	}
	return netip.Addr{}
}
