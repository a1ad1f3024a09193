package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
)

// noLookup fails every host-name lookup: the tests use literals.
func noLookup(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("no lookups in this test")
}

func famOf(t *testing.T, rep *checkReport, fam string) checkFamily {
	t.Helper()
	for _, f := range rep.Families {
		if f.Family == fam {
			return f
		}
	}
	t.Fatalf("no family %s in %+v", fam, rep.Families)
	return checkFamily{}
}

func TestCheckAgainstRealServer(t *testing.T) {
	p := newPair(t, nil)
	cases := []struct {
		name       string
		mutate     func(c *config.Config)
		lookup     lookupFunc
		ok         bool
		v4, v6     string // family states
		wantDetail string // in some family's detail
	}{
		{name: "both families", ok: true, v4: "ok", v6: "ok", wantDetail: "1 of 1 addresses work"},
		{name: "wrong prefix", mutate: func(c *config.Config) { c.Prefix = "Wrong-Prefix-0123456789" },
			v4: "failed", v6: "failed", wantDetail: "auth rejected: HTTP 404"},
		{name: "ipv6 disabled", mutate: func(c *config.Config) {
			c.EnableIPv6, c.Policy = false, netx.IPv4Only
		}, ok: true, v4: "ok", v6: "disabled", wantDetail: "ENABLE_IPV6=false"},
		{name: "ipv6 only", mutate: func(c *config.Config) { c.Policy = netx.IPv6Only }, ok: true, v4: "disabled", v6: "ok"},
		{name: "no ipv6 address", mutate: func(c *config.Config) { c.ServerHostsV6 = nil },
			ok: true, v4: "ok", v6: "no address", wantDetail: "SERVER_IP_V6 is empty"},
		{name: "host name with A and AAAA", mutate: func(c *config.Config) { c.ServerHosts, c.ServerHostsV6 = []string{"vps.test"}, nil },
			lookup: func(_ context.Context, network, host string) ([]netip.Addr, error) {
				if network == "ip6" {
					return []netip.Addr{netip.IPv6Loopback()}, nil
				}
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}, ok: true, v4: "ok", v6: "ok"},
		{name: "TLS against a plain server", mutate: func(c *config.Config) { c.TLS = true },
			v4: "failed", v6: "failed", wantDetail: "TLS handshake failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := *p.ccfg
			if tc.mutate != nil {
				tc.mutate(&cfg)
			}
			look := tc.lookup
			if look == nil {
				look = noLookup
			}
			rep := runCheck(context.Background(), &cfg, 5*time.Second, look)
			if rep.OK != tc.ok {
				t.Errorf("OK = %v, want %v: %s", rep.OK, tc.ok, rep.Verdict)
			}
			v4, v6 := famOf(t, rep, "ipv4"), famOf(t, rep, "ipv6")
			if v4.State != tc.v4 || v6.State != tc.v6 {
				t.Errorf("states = %s/%s, want %s/%s (%+v)", v4.State, v6.State, tc.v4, tc.v6, rep.Families)
			}
			if !strings.Contains(v4.Detail+"|"+v6.Detail, tc.wantDetail) {
				t.Errorf("details %q / %q lack %q", v4.Detail, v6.Detail, tc.wantDetail)
			}
			assertProbes(t, rep)
		})
	}
}

// assertProbes checks that a working probe measured every step and that a
// host name is reported with the address.
func assertProbes(t *testing.T, rep *checkReport) {
	t.Helper()
	for _, f := range rep.Families {
		for _, pr := range f.Probes {
			if pr.OK && (pr.TCPms == nil || pr.WSms == nil || pr.RTTms == nil || pr.Auth != "ok") {
				t.Errorf("%s: working probe without timings: %+v", pr.Address, pr)
			}
			if pr.Family != f.Family {
				t.Errorf("probe %s filed under %s", pr.Address, f.Family)
			}
		}
	}
}

func TestCheckTLSPin(t *testing.T) {
	dir := t.TempDir()
	cert, key, pin := writeCert(t, dir)
	p := newPair(t, func(s, c *config.Config) {
		s.TLS, s.TLSCert, s.TLSKey = true, cert, key
		c.TLS, c.TLSPin = true, pin
	})
	cfg := *p.ccfg
	rep := runCheck(context.Background(), &cfg, 5*time.Second, noLookup)
	if !rep.OK {
		t.Fatalf("pinned TLS check failed: %+v", rep.Families)
	}
	for _, f := range rep.Families {
		for _, pr := range f.Probes {
			if pr.Pin != "ok" || pr.TLSms == nil {
				t.Errorf("%s: pin %q, tls_ms %v", pr.Address, pr.Pin, pr.TLSms)
			}
		}
	}
	bad := append([]byte{}, pin...)
	bad[0] ^= 0xff
	cfg.TLSPin = bad
	rep = runCheck(context.Background(), &cfg, 5*time.Second, noLookup)
	if rep.OK || famOf(t, rep, "ipv4").Probes[0].Pin != "mismatch" {
		t.Fatalf("wrong pin accepted: %+v", rep.Families)
	}
	if d := famOf(t, rep, "ipv6").Detail; !strings.Contains(d, "TLS pin mismatch") {
		t.Errorf("detail %q does not name the pin", d)
	}
}

// TestCheckOneFamilyDown: a server listening on IPv4 only; IPv6 is a warning.
func TestCheckOneFamilyDown(t *testing.T) {
	p := newPair(t, func(s, c *config.Config) { s.ServerListen = s.ServerListen[:1] })
	// Keep [::1] at the server's port refused: nothing else may take it meanwhile.
	reservePort(t, netip.IPv6Loopback(), p.scfg.ServerPort)
	cfg := *p.ccfg
	rep := runCheck(context.Background(), &cfg, 5*time.Second, noLookup)
	if !rep.OK || !strings.Contains(rep.Verdict, "warning: IPv6 does not") {
		t.Fatalf("OK=%v verdict %q", rep.OK, rep.Verdict)
	}
	v6 := famOf(t, rep, "ipv6")
	if v6.State != "unreachable" || !strings.Contains(v6.Detail, "connection refused") {
		t.Errorf("ipv6 = %s (%s), want unreachable (connection refused)", v6.State, v6.Detail)
	}
	var out bytes.Buffer
	rep.print(&out)
	t.Logf("check output:\n%s", out.String())
	for _, want := range []string{"IPv4: ok (1 of 1 addresses work)", "IPv6: unreachable (connection refused)", "overall: ok, IPv4 works"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// writeClientConfig writes a config.env for p's client and returns its path.
func writeClientConfig(t *testing.T, p *pair, extra ...string) string {
	t.Helper()
	c := p.ccfg
	lines := []string{
		"SERVER_IP=127.0.0.1", "SERVER_IP_V6=::1",
		"SERVER_PORT=" + strconv.Itoa(int(c.ServerPort)),
		"PREFIX=" + c.Prefix,
		"ADMIN_ADDR=" + c.AdminAddr,
		"KEEPALIVE_INTERVAL=1",
	}
	if c.TLS {
		lines = append(lines, "TLS=true", fmt.Sprintf("TLS_PIN=%x", c.TLSPin))
	}
	path := filepath.Join(t.TempDir(), "config.env")
	if err := os.WriteFile(path, []byte(strings.Join(append(lines, extra...), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestCheckCommand(t *testing.T) {
	p := newPair(t, nil)
	cfgPath := writeClientConfig(t, p, "ENABLE_IPV6=false")
	code, out, errOut := runCLI(t, "--config", cfgPath, "check")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"IPv4: ok", "IPv6: disabled (ENABLE_IPV6=false)", "SERVER_RESTRICT_PORT", "ws://<server>:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, p.ccfg.Prefix) {
		t.Error("check printed the secret PREFIX")
	}
	code, out, _ = runCLI(t, "--config", cfgPath, "check", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK || !rep.OK {
		t.Fatalf("--json: exit %d, err %v, ok %v:\n%s", code, err, rep.OK, out)
	}
	if len(rep.Families) != 2 || rep.Families[int(pathsel.IPv4)].Probes[0].RTTms == nil {
		t.Errorf("--json report incomplete: %+v", rep.Families)
	}
}

func TestCheckNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // a port nobody listens on
	cfg := config.Default()
	cfg.ServerHosts, cfg.ServerPort, cfg.Prefix, cfg.Policy = []string{"127.0.0.1"}, uint16(port), "Prefix-0123456789", netx.IPv4Only
	cfg.EnableIPv6 = false
	rep := runCheck(context.Background(), cfg, 2*time.Second, noLookup)
	if rep.OK || famOf(t, rep, "ipv4").State != "unreachable" {
		t.Fatalf("OK=%v families %+v", rep.OK, rep.Families)
	}
	if !strings.Contains(rep.Verdict, "any family") {
		t.Errorf("verdict %q", rep.Verdict)
	}
}

func TestConnectReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "connect timeout"},
		{&netx.DialError{Code: netx.Refused}, "connection refused"},
		{&netx.DialError{Code: netx.NetUnreachable}, "network unreachable"},
		{errors.New("odd"), "connect failed"},
	} {
		if got := connectReason(tc.err); got != tc.want {
			t.Errorf("connectReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
