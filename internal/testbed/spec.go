package testbed

import (
	"fmt"
	"net/netip"
	"regexp"
)

// Family is one IP family. Its values are the IP version numbers.
type Family int

const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// Stack says which families a link carries. The zero value is DualStack.
type Stack uint8

const (
	DualStack Stack = iota
	IPv4Only
	IPv6Only
)

// Has reports whether the stack carries family f.
func (s Stack) Has(f Family) bool {
	switch f {
	case IPv4:
		return s != IPv6Only
	case IPv6:
		return s != IPv4Only
	}
	return false
}

func (s Stack) String() string {
	return [...]string{"dual-stack", "IPv4-only", "IPv6-only"}[s%3]
}

// Spec describes a topology.
type Spec struct {
	// Hosts lists host names in the order Net.Hosts returns them. Hosts
	// that appear only in Links are added after these, in order of first
	// appearance; a host listed here with no link is isolated.
	Hosts []string
	// Links are veth pairs between two hosts; at most 254.
	Links []Link
}

// Link is one veth pair. Link i of a Spec gets 10.0.i+1.0/24 and
// 2001:db8:i+1::/64 (the families its Stack carries); A is .1 and ::1,
// B is .2 and ::2.
type Link struct {
	A, B  string
	Stack Stack
}

// Chain links hosts in a line, each link with the same stack:
// Chain(DualStack, "client", "router", "server") makes client–router–server.
func Chain(stack Stack, hosts ...string) Spec {
	s := Spec{Hosts: hosts}
	for i := 1; i < len(hosts); i++ {
		s.Links = append(s.Links, Link{A: hosts[i-1], B: hosts[i], Stack: stack})
	}
	return s
}

var hostName = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

// hostOrder validates s and returns its host names in order.
func (s Spec) hostOrder() ([]string, error) {
	if len(s.Links) > 254 {
		return nil, fmt.Errorf("testbed spec: %d links, at most 254", len(s.Links))
	}
	var order []string
	seen := map[string]bool{}
	add := func(name string) error {
		if !hostName.MatchString(name) {
			return fmt.Errorf("testbed spec: host name %q is not 1-16 lower-case letters and digits starting with a letter", name)
		}
		if !seen[name] {
			seen[name] = true
			order = append(order, name)
		}
		return nil
	}
	for _, h := range s.Hosts {
		if seen[h] {
			return nil, fmt.Errorf("testbed spec: host %q listed twice", h)
		}
		if err := add(h); err != nil {
			return nil, err
		}
	}
	for i, l := range s.Links {
		if l.A == l.B {
			return nil, fmt.Errorf("testbed spec: link %d joins %q to itself", i, l.A)
		}
		if l.Stack > IPv6Only {
			return nil, fmt.Errorf("testbed spec: link %d: unknown stack %d", i, l.Stack)
		}
		if err := add(l.A); err != nil {
			return nil, err
		}
		if err := add(l.B); err != nil {
			return nil, err
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("testbed spec: no hosts")
	}
	return order, nil
}

// linkPrefix returns the subnet of link i for family f.
func linkPrefix(i int, f Family) netip.Prefix {
	if f == IPv4 {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i + 1), 0}), 24)
	}
	a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i + 1)}
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}

// linkAddr returns the address of end (1 for A, 2 for B) of link i.
func linkAddr(i int, f Family, end byte) netip.Prefix {
	p := linkPrefix(i, f)
	if f == IPv4 {
		b := p.Addr().As4()
		b[3] = end
		return netip.PrefixFrom(netip.AddrFrom4(b), p.Bits())
	}
	b := p.Addr().As16()
	b[15] = end
	return netip.PrefixFrom(netip.AddrFrom16(b), p.Bits())
}
