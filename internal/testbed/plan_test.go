package testbed

import (
	"fmt"
	"strings"
	"testing"
)

// Planning needs no root: these run everywhere.
func TestPlanRoutes(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		host string
		want []string // "dst via gw", IPv4 then IPv6
	}{
		{"direct link", Chain(DualStack, "a", "b"), "a", nil},
		{"chain end", Chain(DualStack, "a", "r", "b"), "a", []string{"10.0.2.0/24 via 10.0.1.2", "2001:db8:2::/64 via 2001:db8:1::2"}},
		{"router", Chain(DualStack, "a", "r", "b"), "r", nil},
		{"far end", Chain(DualStack, "a", "r", "b"), "b", []string{"10.0.1.0/24 via 10.0.2.1", "2001:db8:1::/64 via 2001:db8:2::1"}},
		{"v6 cut by a v4-only link", Spec{Links: []Link{{"a", "r", IPv4Only}, {"r", "b", DualStack}}}, "a", []string{"10.0.2.0/24 via 10.0.1.2"}},
		{"shortest path wins", Spec{Links: []Link{
			{"c", "s", DualStack}, {"s", "d", DualStack}, {"c", "d", DualStack},
		}}, "c", []string{"10.0.2.0/24 via 10.0.1.2", "2001:db8:2::/64 via 2001:db8:1::2"}},
		{"longer chain", Chain(IPv6Only, "a", "b", "c", "d"), "a", []string{"2001:db8:2::/64 via 2001:db8:1::2", "2001:db8:3::/64 via 2001:db8:1::2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, err := plan(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hosts {
				if h.Name == tt.host {
					for _, r := range h.routes {
						got = append(got, fmt.Sprintf("%s via %s", r.Dst, r.Via))
					}
				}
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("routes of %s = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestPlanAddresses(t *testing.T) {
	hosts, err := plan(Spec{Hosts: []string{"lonely"}, Links: []Link{{"a", "b", IPv6Only}, {"a", "c", DualStack}}})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Host{}
	for _, h := range hosts {
		byName[h.Name] = h
	}
	a := byName["a"]
	if a.V6.String() != "2001:db8:1::1" || a.V4.String() != "10.0.2.1" {
		t.Errorf("a: V4 %s V6 %s, want 10.0.2.1 (first IPv4 link) and 2001:db8:1::1", a.V4, a.V6)
	}
	if b := byName["b"]; b.V4.IsValid() || b.V6.String() != "2001:db8:1::2" {
		t.Errorf("b: V4 %s V6 %s, want none and 2001:db8:1::2", b.V4, b.V6)
	}
	if l := byName["lonely"]; len(l.Ifaces) != 0 || hosts[0] != l {
		t.Errorf("lonely host: %+v, want first and without interfaces", l)
	}
	if a.forward != true || byName["b"].forward {
		t.Error("forwarding: want on for a (two links) only")
	}
	if name := a.Ifaces[1].Name; name != "l1-c" {
		t.Errorf("interface name %q, want l1-c", name)
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{}, "no hosts"},
		{Spec{Links: []Link{{"a", "a", DualStack}}}, "to itself"},
		{Spec{Hosts: []string{"Bad_name"}}, `"Bad_name"`},
		{Spec{Hosts: []string{"a", "a"}}, "listed twice"},
		{Spec{Links: []Link{{"a", "b", Stack(7)}}}, "unknown stack"},
		{Spec{Hosts: []string{"averyveryverylonghostname"}}, "1-16"},
	}
	for _, tt := range tests {
		if _, err := plan(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("plan(%+v) = %v, want an error with %q", tt.spec, err, tt.want)
		}
	}
}
