package testbed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Net is a running topology of namespaces.
type Net struct {
	ID    string // random suffix shared by every namespace of this Net
	hosts []*Host
}

// New builds the topology of spec and registers its teardown with
// t.Cleanup. It calls Available first, so it skips (or in CI fails) the test
// where namespaces cannot be used, and fails the test on any setup error.
func New(t testing.TB, spec Spec) *Net {
	t.Helper()
	Available(t)
	hosts, err := plan(spec)
	if err != nil {
		t.Fatal(err)
	}
	n := &Net{ID: randomSuffix(), hosts: hosts}
	for _, h := range hosts {
		h.NS = "tb" + n.ID + "-" + h.Name
		h.net = n
	}
	t.Cleanup(func() {
		if err := n.teardown(); err != nil {
			t.Errorf("testbed teardown: %v", err)
		}
	})
	if err := n.setup(); err != nil {
		t.Fatalf("testbed setup: %v", err)
	}
	return n
}

// Host returns the host called name; it panics on a name not in the Spec,
// which is a bug in the test.
func (n *Net) Host(name string) *Host {
	for _, h := range n.hosts {
		if h.Name == name {
			return h
		}
	}
	panic(fmt.Sprintf("testbed: no host %q in this Net", name))
}

// Hosts returns every host in Spec order.
func (n *Net) Hosts() []*Host { return append([]*Host(nil), n.hosts...) }

func (n *Net) setup() error {
	for _, h := range n.hosts {
		if err := h.create(); err != nil {
			return err
		}
	}
	for _, h := range n.hosts {
		for _, ifc := range h.Ifaces {
			if !ifc.isA {
				continue // the other end creates the pair
			}
			peer := n.Host(ifc.Peer)
			peerIf := peer.ifaceOn(ifc.link)
			// Distinct ifindexes on the two ends make the kernel's linkwatch
			// treat carrier-up as urgent (a veth whose index equals its
			// peer's waits up to 1 s for state UP).
			a, b := strconv.Itoa(10+2*ifc.link), strconv.Itoa(11+2*ifc.link)
			if err := ipCmd("link", "add", "name", ifc.Name, "index", a, "netns", h.NS, "type", "veth",
				"peer", "name", peerIf.Name, "index", b, "netns", peer.NS); err != nil {
				return err
			}
		}
	}
	for _, h := range n.hosts {
		if err := h.configure(); err != nil {
			return err
		}
	}
	for _, h := range n.hosts {
		if err := h.waitUp(5 * time.Second); err != nil {
			return err
		}
	}
	for _, h := range n.hosts {
		if err := h.addRoutes(); err != nil {
			return err
		}
	}
	return nil
}

// teardown deletes every namespace and /etc/netns folder of n. Processes
// and in-process sockets are gone by now: their cleanups were registered
// after New's and so ran first.
func (n *Net) teardown() error {
	var errs []string
	for _, h := range n.hosts {
		if err := os.RemoveAll(filepath.Join("/etc/netns", h.NS)); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := os.Stat(filepath.Join("/run/netns", h.NS)); err != nil {
			continue // never created
		}
		if err := ipCmd("netns", "del", h.NS); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// ipCmd runs ip with args and returns an error naming the command and its output.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipBatch runs several ip commands in one process.
// Flags such as "-6" go before the batch.
func ipBatch(ns string, cmds []string, flags ...string) error {
	if len(cmds) == 0 {
		return nil
	}
	c := exec.Command("ip", append(flags, "-n", ns, "-batch", "-")...)
	c.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip -n %s -batch (%s): %v: %s", ns, strings.Join(cmds, "; "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
