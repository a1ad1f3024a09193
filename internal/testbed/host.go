package testbed

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Host is one network namespace of a Net.
type Host struct {
	Name string // name from the Spec
	NS   string // namespace name, as `ip netns exec` takes it
	// V4 and V6 are the host's addresses on its first link that carries
	// the family; invalid when no link does.
	V4, V6 netip.Addr
	Ifaces []Iface

	net     *Net
	routes  []route
	forward bool

	mu         sync.Mutex
	nameserver netip.Addr // set by WriteResolvConf
	nextPref   int        // next policy-rule priority for RejectFamily
}

// Addr returns V4 or V6.
func (h *Host) Addr(f Family) netip.Addr {
	if f == IPv4 {
		return h.V4
	}
	return h.V6
}

// Addrs returns every address of family f the host has on its links.
func (h *Host) Addrs(f Family) []netip.Addr {
	var out []netip.Addr
	for _, ifc := range h.Ifaces {
		if p := ifc.Prefix(f); p.IsValid() {
			out = append(out, p.Addr())
		}
	}
	return out
}

// IfaceTo returns the host's interface on its first link to peer; ok is
// false when the two are not directly linked.
func (h *Host) IfaceTo(peer string) (ifc Iface, ok bool) {
	for _, ifc := range h.Ifaces {
		if ifc.Peer == peer {
			return ifc, true
		}
	}
	return Iface{}, false
}

func (h *Host) ifaceOn(link int) Iface {
	for _, ifc := range h.Ifaces {
		if ifc.link == link {
			return ifc
		}
	}
	panic(fmt.Sprintf("testbed: host %s has no interface on link %d", h.Name, link))
}

// Run runs cmd in the namespace and returns its combined output; it fails
// the test, showing the output, when the command fails. Call it from the
// test's goroutine.
func (h *Host) Run(t testing.TB, cmd ...string) string {
	t.Helper()
	out, err := h.Output(cmd...)
	if err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	return out
}

// Output runs cmd in the namespace and returns its combined output and an
// error naming the command, for commands that are expected to fail.
func (h *Host) Output(cmd ...string) (string, error) {
	out, err := h.Command(cmd...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip netns exec %s %s: %v: %s", h.NS, strings.Join(cmd, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Command returns an unstarted command that runs cmd in the namespace.
func (h *Host) Command(cmd ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS}, cmd...)...)
}

// create adds the namespace and sets what must be set before interfaces
// exist (DAD off is inherited from "default" by new interfaces).
func (h *Host) create() error {
	if err := ipCmd("netns", "add", h.NS); err != nil {
		return err
	}
	sysctls := map[string]string{
		"ipv6/conf/all/accept_dad":               "0",
		"ipv6/conf/default/accept_dad":           "0",
		"ipv6/conf/default/accept_ra":            "0",
		"ipv6/conf/default/router_solicitations": "0",
	}
	if h.forward {
		sysctls["ipv4/ip_forward"] = "1"
		sysctls["ipv6/conf/all/forwarding"] = "1"
	}
	if err := h.Do(func() error { return writeSysctls(sysctls) }); err != nil {
		return fmt.Errorf("%s: %w", h.NS, err)
	}
	return ipBatch(h.NS, []string{"link set lo up"})
}

// writeSysctls writes /proc/sys/net entries; /proc/sys/net shows the
// namespace of the calling thread, so call it inside Do.
func writeSysctls(kv map[string]string) error {
	for k, v := range kv {
		p := filepath.Join("/proc/sys/net", k)
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", p, v, err)
		}
	}
	return nil
}

// configure addresses the host's interfaces and brings them up.
func (h *Host) configure() error {
	off := map[string]string{}
	var cmds []string
	for _, ifc := range h.Ifaces {
		if !ifc.Stack.Has(IPv6) {
			// No link-local address, no MLD: not one IPv6 packet on this link.
			off["ipv6/conf/"+ifc.Name+"/disable_ipv6"] = "1"
		}
		if ifc.V4.IsValid() {
			cmds = append(cmds, "addr add "+ifc.V4.String()+" dev "+ifc.Name)
		}
		if ifc.V6.IsValid() {
			cmds = append(cmds, "addr add "+ifc.V6.String()+" dev "+ifc.Name+" nodad")
		}
		cmds = append(cmds, "link set "+ifc.Name+" up")
	}
	if err := h.Do(func() error { return writeSysctls(off) }); err != nil {
		return fmt.Errorf("%s: %w", h.NS, err)
	}
	return ipBatch(h.NS, cmds)
}

// waitUp polls until every interface reports state UP: before that the
// first IPv6 packets can be held back for about a second.
func (h *Host) waitUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := exec.Command("ip", "-n", h.NS, "-o", "link", "show", "up").CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip -n %s link show: %v: %s", h.NS, err, out)
		}
		down := ""
		for _, ifc := range h.Ifaces {
			if !linkUp(string(out), ifc.Name) {
				down = ifc.Name
				break
			}
		}
		if down == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: interface %s not in state UP after %v:\n%s", h.NS, down, timeout, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func linkUp(out, name string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " "+name+"@") {
			return strings.Contains(line, "state UP")
		}
	}
	return false
}

func (h *Host) addRoutes() error {
	var cmds []string
	for _, r := range h.routes {
		cmds = append(cmds, "route add "+r.Dst.String()+" via "+r.Via.String())
	}
	return ipBatch(h.NS, cmds)
}
