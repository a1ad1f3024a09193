package cli

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wgTestDir writes a config.env (with the extra lines), an IP list and
// wg0.conf holding conf into a new folder and returns the config's path.
func wgTestDir(t *testing.T, conf string, extra ...string) (cfgPath, wgPath string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("config.env", strings.Join(append([]string{
		"PREFIX=abcdefghijklmnopqrstuvwxyz012345",
		"WG_CONF_PATH=wg0.conf",
		"WG_LOCAL_IP=10.8.0.2/24",
		"HOSTS_FILE=hosts",
		"WSTUNNEL_PORT=1081",
	}, extra...), "\n")+"\n")
	write("routes/ips.txt", "104.16.132.229\texample.com\n203.0.113.7\tvps.example.test\n2606:4700::6810:84e5\texample.com\n")
	write("hosts", "127.0.0.1 localhost\n")
	write("wg0.conf", conf)
	return filepath.Join(dir, "config.env"), filepath.Join(dir, "wg0.conf")
}

// fakeWGLookup makes wg sync resolve names from m for the test.
func fakeWGLookup(t *testing.T, m map[string][]string) *[]string {
	t.Helper()
	var asked []string
	old := wgLookup
	wgLookup = func(_ context.Context, network, host string) ([]netip.Addr, error) {
		asked = append(asked, network+" "+host)
		ss, ok := m[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out, nil
	}
	t.Cleanup(func() { wgLookup = old })
	return &asked
}

const wgTestKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

// SERVER_IP a name: its A and AAAA are resolved and kept out of AllowedIPs.
func TestWGSyncServerName(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + wgTestKey + "\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = " + wgTestKey +
		"\nEndpoint = vps.example.test:443\nAllowedIPs = 0.0.0.0/1, 128.0.0.0/1, 2000::/3\n"
	cfgPath, wgPath := wgTestDir(t, conf, "SERVER_IP=vps.example.test")
	asked := fakeWGLookup(t, map[string][]string{"vps.example.test": {"203.0.113.7", "2001:db8::7"}})
	code, out, errOut := runCLI(t, "--config", cfgPath, "wg", "sync")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Join(*asked, ",") != "ip vps.example.test" {
		t.Errorf("lookups = %q, want one for A and AAAA (network ip)", *asked)
	}
	got, _ := os.ReadFile(wgPath)
	want := "AllowedIPs = 10.8.0.0/24, 0.0.0.0/1, 104.16.132.229/32, 2606:4700::6810:84e5/128\n"
	if !strings.Contains(string(got), want) {
		t.Errorf("wg0.conf lacks %q:\n%s", want, got)
	}
	for _, note := range []string{"dropped AllowedIPs 128.0.0.0/1: it contains the server's address", "dropped AllowedIPs 2000::/3: it contains the server's address", "203.0.113.7 is the server's own address"} {
		if !strings.Contains(errOut, note) {
			t.Errorf("stderr lacks %q:\n%s", note, errOut)
		}
	}
}

// A server name that does not resolve: refused, the host named, nothing written.
func TestWGSyncServerNameUnresolved(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + wgTestKey + "\n[Peer]\nPublicKey = " + wgTestKey + "\nAllowedIPs = 128.0.0.0/1\n"
	cfgPath, wgPath := wgTestDir(t, conf, "SERVER_IP=vps.example.test")
	fakeWGLookup(t, nil)
	code, out, errOut := runCLI(t, "--config", cfgPath, "wg", "sync")
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitFailed, out, errOut)
	}
	if !strings.Contains(errOut, `server "vps.example.test": cannot resolve it`) || !strings.Contains(errOut, "nothing written") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if got, _ := os.ReadFile(wgPath); string(got) != conf {
		t.Errorf("wg0.conf changed:\n%s", got)
	}
}

// backup create, wg sync, rollback gives back the original file: keys the
// sync added (Endpoint, MTU, PersistentKeepalive) go, and an AllowedIPs
// entry without a mask is backed up, kept by the sync and restored.
func TestWGBackupSyncRollback(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + wgTestKey + "\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = " + wgTestKey +
		"\nAllowedIPs = 10.8.0.0/24, 192.168.50.7, 0.0.0.0/1"
	cfgPath, wgPath := wgTestDir(t, conf, "SERVER_IP=203.0.113.7")
	fakeWGLookup(t, nil)
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, append([]string{"--config", cfgPath}, args...)...)
		if code != ExitOK {
			t.Fatalf("%s: exit %d\n%s%s", args, code, out, errOut)
		}
		return errOut
	}
	run("backup", "create")
	run("wg", "sync")
	synced, _ := os.ReadFile(wgPath)
	for _, want := range []string{"MTU = 1420", "PersistentKeepalive = 25", "Endpoint = 127.0.0.1:1081", "AllowedIPs = 10.8.0.0/24, 192.168.50.7, 0.0.0.0/1, 104.16.132.229/32"} {
		if !strings.Contains(string(synced), want) {
			t.Errorf("synced wg0.conf lacks %q:\n%s", want, synced)
		}
	}
	run("rollback")
	if got, _ := os.ReadFile(wgPath); string(got) != conf {
		t.Errorf("after rollback:\n%q\nwant\n%q", got, conf)
	}
}

// `wg sync --dry-run` prints the change without the private key (DESIGN §7:
// secrets never show), though the key's line is diff context.
func TestWGSyncDryRunHidesPrivateKey(t *testing.T) {
	const priv = "c2VjcmV0IHByaXZhdGUga2V5IG9mIHRoZSBwZWVyISE="
	conf, _ := wgTestDir(t, "[Interface]\nPrivateKey = "+priv+"\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = "+wgTestKey+
		"\nPresharedKey = "+priv+"\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24\n", "SERVER_IP=203.0.113.7")
	var o, e strings.Builder
	code := Run(context.Background(), []string{"--config", conf, "wg", "sync", "--dry-run"}, strings.NewReader(""), &o, &e)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if strings.Contains(o.String()+e.String(), priv) || !strings.Contains(o.String(), "PrivateKey = ******** (secret, not shown)") {
		t.Fatalf("dry run shows a key or no masked line:\n%s", o.String())
	}
	if !strings.Contains(o.String(), "+AllowedIPs") {
		t.Fatalf("dry run does not show the change:\n%s", o.String())
	}
}
