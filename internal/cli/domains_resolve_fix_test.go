package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/testbed"
)

// aOnlyDNS answers A queries for any name and never answers AAAA ones.
func aOnlyDNS(t *testing.T) string { return testbed.ScriptedDNS(t, testbed.SilentAAAA("192.0.2.20")) }

func resolveSetup(t *testing.T, upstream, oldList string) (conf, list string) {
	t.Helper()
	dir := t.TempDir()
	conf = filepath.Join(dir, "config.env")
	cfg := "PREFIX=abcdefghijklmnopqrstuvwxyz012345\nDNS_VIA_SERVER=false\nPRIMARY_DNS=" + upstream + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "routes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "routes", "domains.txt"), []byte("v6drop.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list = filepath.Join(dir, "routes", "ips.txt")
	if err := os.WriteFile(list, []byte(oldList), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf, list
}

// A name whose AAAA lookup times out keeps its IPv6 addresses in the list:
// written without them, the hosts block and AllowedIPs would let its IPv6
// traffic bypass the tunnel.
func TestResolveKeepsAFamilyThatTimedOut(t *testing.T) {
	conf, list := resolveSetup(t, aOnlyDNS(t), "192.0.2.20\tv6drop.test\n2001:db8::20\tv6drop.test\n")
	var o, e bytes.Buffer
	code := Run(context.Background(), []string{"--config", conf, "domains", "resolve", "--timeout", "1s", "--retries", "0"}, strings.NewReader(""), &o, &e)
	got, _ := os.ReadFile(list)
	if !strings.Contains(string(got), "2001:db8::20\tv6drop.test") {
		t.Fatalf("exit %d; the AAAA that timed out dropped the name's IPv6 address:\n%s\n%s%s", code, got, o.String(), e.String())
	}
}

// An interrupted resolve writes nothing and says so.
func TestResolveInterruptedWritesNothing(t *testing.T) {
	old := "192.0.2.99\tv6drop.test\n"
	conf, list := resolveSetup(t, aOnlyDNS(t), old)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before the answers came
	var o, e bytes.Buffer
	code := Run(ctx, []string{"--config", conf, "domains", "resolve", "--timeout", "1s"}, strings.NewReader(""), &o, &e)
	if code == 0 || !strings.Contains(e.String(), "interrupted") {
		t.Fatalf("exit %d, stderr %q; want a failure saying it was interrupted", code, e.String())
	}
	if got, _ := os.ReadFile(list); string(got) != old {
		t.Fatalf("the list changed: %q", got)
	}
	if _, err := os.Stat(list + ".bak"); err == nil {
		t.Fatal("a .bak was written by an interrupted resolve")
	}
}

// The same through the server (DNS_VIA_SERVER=true): the server answers a
// name whose AAAA timed out as failed, and the client keeps its addresses.
func TestResolveThroughServerKeepsAFamilyThatTimedOut(t *testing.T) {
	upstream := aOnlyDNS(t)
	p := newPair(t, func(s, c *config.Config) { s.PrimaryDNS = upstream })
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "domains.txt"), []byte("v6drop.test\n"), 0o644)
	old := "192.0.2.20\tv6drop.test\n2001:db8::20\tv6drop.test\n"
	os.WriteFile(filepath.Join(dir, "ips.txt"), []byte(old), 0o644)
	conf := fmt.Sprintf("SERVER_IP=127.0.0.1\nSERVER_PORT=%d\nPREFIX=%s\nDOMAINS_FILE=domains.txt\nIP_LIST_FILE=ips.txt\n",
		p.scfg.ServerPort, p.scfg.Prefix)
	os.WriteFile(filepath.Join(dir, "config.env"), []byte(conf), 0o600)
	var o, e bytes.Buffer
	code := Run(context.Background(), []string{"--config", filepath.Join(dir, "config.env"), "domains", "resolve", "--retries", "0"}, nil, &o, &e)
	got, _ := os.ReadFile(filepath.Join(dir, "ips.txt"))
	if !strings.Contains(string(got), "2001:db8::20\tv6drop.test") {
		t.Fatalf("exit %d; through the server, the AAAA that timed out dropped the name's IPv6 address:\n%s\n%s%s", code, got, o.String(), e.String())
	}
}
