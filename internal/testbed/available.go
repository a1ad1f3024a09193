package testbed

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var probe struct {
	once   sync.Once
	reason string // empty when namespaces work
}

// Available skips the test unless the process is root and `ip netns` works.
// When the environment variable CI is "true" it fails the test instead, so a
// CI machine that lost its privileges cannot pass by skipping everything.
func Available(t testing.TB) {
	t.Helper()
	probe.once.Do(func() { probe.reason = probeNetns() })
	if probe.reason != "" {
		unavailable(t, probe.reason)
	}
}

// requireTool is Available for one external program.
func requireTool(t testing.TB, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		unavailable(t, fmt.Sprintf("%s not found in PATH (Debian package %s; run .ci/testbed-deps.sh)", name, pkg))
	}
}

func unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testbed: network namespaces unavailable in CI: %s", reason)
	}
	t.Skipf("testbed: network namespaces unavailable: %s", reason)
}

func probeNetns() string {
	if os.Geteuid() != 0 {
		return "not root (run the tests as root to use network namespaces)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "ip not found in PATH (Debian package iproute2)"
	}
	name := "tbprobe-" + randomSuffix()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns del %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return ""
}

// randomSuffix returns 6 hex digits that keep names of parallel runs apart.
func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}
