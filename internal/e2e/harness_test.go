package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/testbed"
)

// Fixed ports: every process runs in its own namespace, so they never clash.
const (
	tunnelPort   = 8080             // SERVER_PORT
	socksPort    = 1082             // SOCKS5_PORT
	httpPort     = 8081             // HTTP_PORT
	udpPort      = 1081             // WSTUNNEL_PORT
	restrictPort = 8443             // SERVER_RESTRICT_PORT (UDP echo standing in for WireGuard)
	adminAddr    = "127.0.0.1:8090" // ADMIN_ADDR
	webPort      = 80               // destination web server, both families
	controlPort  = 81               // destination port only the leak tests' positive controls dial
)

// Routed names the destination's dnsmasq answers (see routedRecords).
const (
	dualName = "www.routed.test" // A + AAAA
	v4Name   = "v4.routed.test"  // A only
	v6Name   = "v6.routed.test"  // AAAA only
	ctlName  = "control.test"    // asked directly by the leak tests' positive control
	// aaaaOnlyName has one AAAA record, an address in no link's subnet.
	aaaaOnlyName = "aaaa-only.routed.test"
)

var (
	tmpDir string // removed after the run
	build  struct {
		once sync.Once
		path string
		err  error
	}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autovpn-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// autovpnBinary builds cmd/autovpn once per test binary (lazily, so a run that
// skips everything builds nothing) and returns its path. The environment
// variable AUTOVPN_E2E_BINARY names a prebuilt binary to use instead.
func autovpnBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if p := os.Getenv("AUTOVPN_E2E_BINARY"); p != "" {
			build.path = p
			return
		}
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			build.err = fmt.Errorf("go list -m: %v", err)
			return
		}
		out := filepath.Join(tmpDir, "autovpn")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/autovpn")
		cmd.Dir = strings.TrimSpace(string(root))
		if b, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/autovpn in %s: %v\n%s", cmd.Dir, err, b)
			return
		}
		build.path = out
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// bed is a topology with the hosts "client", "server" and "dest" (more
// servers may exist), a web server on dest (both families, port 80) and a
// dnsmasq on dest with the routed names.
type bed struct {
	*testbed.Net
	t                    testing.TB
	client, server, dest *testbed.Host
	dns                  *testbed.DNS
	prefix               string
}

// newBed builds spec and starts the destination fixtures. The client's
// resolv.conf names the destination's dnsmasq, so a local lookup of a
// routed name would show in its query log.
func newBed(t testing.TB, spec testbed.Spec) *bed {
	t.Helper()
	testbed.Available(t) // skip before building anything
	autovpnBinary(t)     // fail early, before any namespace exists
	n := testbed.New(t, spec)
	b := &bed{Net: n, t: t, client: n.Host("client"), server: n.Host("server"), dest: n.Host("dest"), prefix: config.NewPrefix()}
	serveWeb(t, b.dest)
	b.dns = testbed.StartDNS(t, b.dest, routedRecords(b.dest)...)
	b.client.WriteResolvConf(t, b.dns.Addr.Addr())
	return b
}

func routedRecords(dest *testbed.Host) []testbed.DNSRecord {
	var both, v4, v6 []netip.Addr
	if dest.V4.IsValid() {
		both, v4 = append(both, dest.V4), []netip.Addr{dest.V4}
	}
	if dest.V6.IsValid() {
		both, v6 = append(both, dest.V6), []netip.Addr{dest.V6}
	}
	recs := []testbed.DNSRecord{
		{Name: dualName, Addrs: both},
		{Name: ctlName, Addrs: both},
		{Name: aaaaOnlyName, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8:ff::80")}},
	}
	if len(v4) > 0 {
		recs = append(recs, testbed.DNSRecord{Name: v4Name, Addrs: v4})
	}
	if len(v6) > 0 {
		recs = append(recs, testbed.DNSRecord{Name: v6Name, Addrs: v6})
	}
	return recs
}

// chain is client–router–server–dest with a stack per link.
func chain(cr, rs, sd testbed.Stack) testbed.Spec {
	return testbed.Spec{Links: []testbed.Link{{A: "client", B: "router", Stack: cr}, {A: "router", B: "server", Stack: rs}, {A: "server", B: "dest", Stack: sd}}}
}

// env is the contents of a config.env.
type env map[string]string

// with returns a copy of e with more set (an empty value deletes a key).
func (e env) with(more env) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for k, v := range more {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func writeEnv(t testing.TB, name string, e env) string {
	t.Helper()
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s=%s\n", k, e[k])
	}
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverEnv is the config of a server on h: it allows the test bed's
// ranges and resolves with the destination's dnsmasq.
func (b *bed) serverEnv() env {
	return env{
		"PREFIX":               b.prefix,
		"SERVER_PORT":          fmt.Sprint(tunnelPort),
		"ALLOW_DESTINATIONS":   "10.0.0.0/8,2001:db8::/32",
		"SERVER_RESTRICT_PORT": fmt.Sprint(restrictPort),
		"KEEPALIVE_INTERVAL":   "1",
		"PRIMARY_DNS":          b.dns.Addr.Addr().String(),
	}
}

// clientEnv is the config of a client reaching servers by their addresses
// of both families (those they have).
func (b *bed) clientEnv(servers ...*testbed.Host) env {
	var v4, v6 []string
	for _, s := range servers {
		if s.V4.IsValid() {
			v4 = append(v4, s.V4.String())
		}
		if s.V6.IsValid() {
			v6 = append(v6, s.V6.String())
		}
	}
	e := env{
		"PREFIX":               b.prefix,
		"SERVER_PORT":          fmt.Sprint(tunnelPort),
		"SOCKS5_PORT":          fmt.Sprint(socksPort),
		"HTTP_PORT":            fmt.Sprint(httpPort),
		"WSTUNNEL_PORT":        fmt.Sprint(udpPort),
		"SERVER_RESTRICT_PORT": fmt.Sprint(restrictPort),
		"ADMIN_ADDR":           adminAddr,
		"KEEPALIVE_INTERVAL":   "1",
	}
	if len(v4) > 0 {
		e["SERVER_IP"] = strings.Join(v4, ",")
	}
	if len(v6) > 0 {
		e["SERVER_IP_V6"] = strings.Join(v6, ",")
	}
	return e
}

// proc is an autovpn process in a namespace.
type proc struct {
	*testbed.Proc
	host    *testbed.Host
	started time.Time
}

// startAutovpn runs `autovpn --config FILE --log-level debug ROLE` on h;
// its log is printed if the test fails.
func startAutovpn(t testing.TB, h *testbed.Host, role string, e env) *proc {
	t.Helper()
	cfg := writeEnv(t, role+".env", e)
	p := &proc{host: h, started: time.Now()}
	p.Proc = h.Start(t, autovpnBinary(t), "--config", cfg, "--log-level", "debug", role)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- %s on %s: log (last lines) ---\n%s%s", role, h.Name, tail(p.Stdout.String(), 60), tail(p.Stderr.String(), 120))
		}
	})
	return p
}

// startServer starts a server on h and waits until it accepts TCP.
func (b *bed) startServer(h *testbed.Host, e env) *proc {
	b.t.Helper()
	p := startAutovpn(b.t, h, "server", e)
	p.waitTCP(b.t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), tunnelPort), 10*time.Second)
	return p
}

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines cut ...]\n", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "")
}

// waitTCP polls until addr in p's namespace accepts a connection.
func (p *proc) waitTCP(t testing.TB, addr netip.AddrPort, timeout time.Duration) {
	t.Helper()
	err := poll(timeout, func() error {
		if p.Exited() {
			return errStop{fmt.Errorf("exited: %v", p.Wait())}
		}
		c, err := dialIn(p.host, "tcp", addr.String(), time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		t.Fatalf("%s: %s not accepting: %v", p.host.Name, addr, err)
	}
}

// errStop ends a poll at once.
type errStop struct{ error }

// poll calls f every 10 ms until it returns nil, returns an errStop, or
// timeout passes; it returns f's last error.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if s, ok := err.(errStop); ok {
			return s.error
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %w", timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }
