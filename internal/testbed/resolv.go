package testbed

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// WriteResolvConf writes /etc/netns/<ns>/resolv.conf naming nameserver, so
// programs run in the namespace (which `ip netns exec` gives that file as
// /etc/resolv.conf) ask it, and points h.Resolver at it too. The folder is
// removed at cleanup.
func (h *Host) WriteResolvConf(t testing.TB, nameserver netip.Addr) {
	t.Helper()
	dir := filepath.Join("/etc/netns", h.NS)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	body := fmt.Sprintf("nameserver %s\noptions timeout:1 attempts:2\n", nameserver)
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(body), 0o644); err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	h.mu.Lock()
	h.nameserver = nameserver
	h.mu.Unlock()
}
