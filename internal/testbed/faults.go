package testbed

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Fault is an injected network fault. Heal undoes it; it runs by itself
// at cleanup of the test that injected the fault.
type Fault struct {
	t    testing.TB
	what string
	once sync.Once
	undo func() error
}

func newFault(t testing.TB, what string, undo func() error) *Fault {
	f := &Fault{t: t, what: what, undo: undo}
	t.Cleanup(f.Heal)
	return f
}

// Heal removes the fault; later calls do nothing. A failure is reported
// with t.Errorf, so Heal may run at cleanup.
func (f *Fault) Heal() {
	f.once.Do(func() {
		if err := f.undo(); err != nil {
			f.t.Errorf("heal %s: %v", f.what, err)
		}
	})
}

// DropFamily drops, with nftables in h's namespace, every packet of
// family fam that h sends to, receives from or forwards to or from peer's
// addresses — connects time out, the realistic broken-IPv6 case. A nil peer
// drops all of the family except on loopback, neighbour discovery included.
func (h *Host) DropFamily(t testing.TB, fam Family, peer *Host) *Fault {
	t.Helper()
	match := familyMatch(t, fam)
	var in, out, fwd []string
	if peer == nil {
		in = []string{`iifname != "lo" ` + match}
		out = []string{`oifname != "lo" ` + match}
		fwd = []string{match}
	} else {
		set := addrSet(t, peer, fam)
		proto := map[Family]string{IPv4: "ip", IPv6: "ip6"}[fam]
		in = []string{proto + " saddr " + set}
		out = []string{proto + " daddr " + set}
		fwd = append(append([]string{}, in...), out...)
	}
	what := fmt.Sprintf("%s: drop %v to %s", h.Name, fam, peerLabel(peer))
	return h.nftFault(t, what, map[string][]string{"input": in, "output": out, "forward": fwd})
}

// DropPercent drops about pct percent of the packets of family fam that h
// sends and, separately, of those it receives (not on loopback), chosen at
// random by nftables. A round trip through h thus loses about
// 1-(1-pct/100)² of the time.
func (h *Host) DropPercent(t testing.TB, fam Family, pct int) *Fault {
	t.Helper()
	if pct < 0 || pct > 100 {
		t.Fatalf("DropPercent: %d is not a percentage (0-100)", pct)
	}
	r := familyMatch(t, fam) + " numgen random mod 100 < " + strconv.Itoa(pct)
	what := fmt.Sprintf("%s: drop %d%% of %v", h.Name, pct, fam)
	return h.nftFault(t, what, map[string][]string{
		"input":  {`iifname != "lo" ` + r},
		"output": {`oifname != "lo" ` + r},
	})
}

// RejectFamily makes destinations of family fam unreachable from h with
// policy-routing rules of type unreachable: connects fail at once with
// ENETUNREACH, and forwarded packets get an ICMP unreachable. With a peer
// only its addresses are affected; with nil every non-local destination
// is. Rules, unlike an unreachable route, cannot lose to a connected route
// of the same prefix, nor take it with them when deleted.
func (h *Host) RejectFamily(t testing.TB, fam Family, peer *Host) *Fault {
	t.Helper()
	familyMatch(t, fam)
	var sels []string
	if peer == nil {
		sels = []string{""}
	} else {
		for _, a := range peerAddrs(t, peer, fam) {
			sels = append(sels, "to "+netip.PrefixFrom(a, a.BitLen()).String()+" ")
		}
	}
	flag := map[Family]string{IPv4: "-4", IPv6: "-6"}[fam]
	var prefs []int
	undo := func() error {
		var cmds []string
		for _, p := range prefs {
			cmds = append(cmds, fmt.Sprintf("rule del pref %d", p))
		}
		return ipBatch(h.NS, cmds, flag)
	}
	var cmds []string
	h.mu.Lock()
	for _, sel := range sels {
		h.nextPref++
		prefs = append(prefs, 100+h.nextPref)
		cmds = append(cmds, fmt.Sprintf("rule add pref %d %sunreachable", 100+h.nextPref, sel))
	}
	h.mu.Unlock()
	what := fmt.Sprintf("%s: reject %v to %s", h.Name, fam, peerLabel(peer))
	if err := ipBatch(h.NS, cmds, flag); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return newFault(t, what, undo)
}

// nftFault loads one table with a filter chain per hook and returns a
// Fault that deletes the table.
func (h *Host) nftFault(t testing.TB, what string, rules map[string][]string) *Fault {
	t.Helper()
	requireTool(t, "nft", "nftables")
	table := "tbfault" + randomSuffix()
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", table)
	for _, hook := range []string{"input", "output", "forward"} {
		if len(rules[hook]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  chain %s {\n    type filter hook %s priority -10; policy accept;\n", hook, hook)
		for _, r := range rules[hook] {
			fmt.Fprintf(&b, "    %s drop\n", r)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	if err := h.nft(b.String()); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return newFault(t, what, func() error { return h.nft("delete table inet " + table + "\n") })
}

func (h *Host) nft(script string) error {
	c := h.Command("nft", "-f", "-")
	c.Stdin = strings.NewReader(script)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %v: %s\nscript:\n%s", h.NS, err, strings.TrimSpace(string(out)), script)
	}
	return nil
}

func familyMatch(t testing.TB, fam Family) string {
	t.Helper()
	switch fam {
	case IPv4:
		return "meta nfproto ipv4"
	case IPv6:
		return "meta nfproto ipv6"
	}
	t.Fatalf("testbed: %v is not IPv4 or IPv6", fam)
	return ""
}

func peerAddrs(t testing.TB, peer *Host, fam Family) []netip.Addr {
	t.Helper()
	addrs := peer.Addrs(fam)
	if len(addrs) == 0 {
		t.Fatalf("testbed: host %s has no %v address", peer.Name, fam)
	}
	return addrs
}

func addrSet(t testing.TB, peer *Host, fam Family) string {
	t.Helper()
	var s []string
	for _, a := range peerAddrs(t, peer, fam) {
		s = append(s, a.String())
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

func peerLabel(h *Host) string {
	if h == nil {
		return "everyone"
	}
	return h.Name
}
