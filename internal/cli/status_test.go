package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
)

// newAdminPair starts a pair whose client serves its admin API on a known
// port of 127.0.0.1 and [::1].
func newAdminPair(t *testing.T, mutate func(s, c *config.Config)) *pair {
	t.Helper()
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		t.Fatal(err)
	}
	p := newPair(t, func(s, c *config.Config) {
		c.AdminAddr = "127.0.0.1:" + strconv.Itoa(port)
		if mutate != nil {
			mutate(s, c)
		}
	})
	p.waitUp()
	waitAdmin(t, p.ccfg.AdminAddr)
	return p
}

// waitAdmin polls until the admin API answers.
func waitAdmin(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin API %s not up: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStatusCommand(t *testing.T) {
	p := newAdminPair(t, nil)
	cfgPath := writeClientConfig(t, p)
	code, out, errOut := runCLI(t, "--config", cfgPath, "status")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"client at 127.0.0.1:", "policy prefer-ipv4", "tunnel: up via ipv", "rtt ", "FAMILY", "LISTENER", "socks5", "[::1]:", "listening"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, p.ccfg.Prefix) {
		t.Error("status printed the secret PREFIX")
	}
	t.Logf("status:\n%s", out)
	code, out, _ = runCLI(t, "--config", cfgPath, "status", "--json")
	var raw clientStatus
	if err := json.Unmarshal([]byte(out), &raw); code != ExitOK || err != nil || !raw.Tunnel.Up {
		t.Fatalf("--json: exit %d, err %v, up %v:\n%s", code, err, raw.Tunnel.Up, out)
	}
}

func TestStatusNoClient(t *testing.T) {
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = adminGet(context.Background(), "127.0.0.1:"+strconv.Itoa(port), "/status")
	var nc *errNoClient
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "no client running at ADMIN_ADDR 127.0.0.1:") {
		t.Fatalf("err = %v, want errNoClient", err)
	}
	if _, _, err := adminGet(context.Background(), "", "/status"); err == nil || !strings.Contains(err.Error(), "ADMIN_ADDR is empty") {
		t.Errorf("empty ADMIN_ADDR: err = %v", err)
	}
}

// TestAdminGetFallsBackToIPv6: a client reachable only on [::1] is found
// through ADMIN_ADDR=127.0.0.1:PORT.
func TestAdminGetFallsBackToIPv6(t *testing.T) {
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "[::1]:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"tunnel":{"up":true}}`)) })}
	go srv.Serve(ln)
	defer srv.Close()
	body, where, err := adminGet(context.Background(), "127.0.0.1:"+strconv.Itoa(port), "/status")
	if err != nil || !strings.HasPrefix(where, "[::1]:") || !bytes.Contains(body, []byte(`"up":true`)) {
		t.Fatalf("adminGet = %q, %q, %v", body, where, err)
	}
}

func TestDecodeAndPrintStatus(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"numeric enums, Go field names", `{"tunnel":{"up":false,"last_error":"dial: refused","policy":"prefer-ipv4",
			"families":[{"Family":0,"State":2,"RTT":0,"LastError":"connect timeout"},{"Family":1,"State":1,"RTT":12500000}]},
			"listeners":[{"kind":"socks5","addr":"127.0.0.1:1082"},{"kind":"socks5","addr":"[::1]:1082","error":"bind: cannot assign requested address"}],
			"uptime":"5s","ipv6_enabled":true}`,
			[]string{"tunnel: DOWN (last error: dial: refused)", "ipv4    broken", "connect timeout", "ipv6    ok      12.5 ms", "DEGRADED: bind: cannot assign", "1 IPv6 listeners degraded"}},
		{"text enums, snake case", `{"tunnel":{"up":true,"remote":"[::1]:443","family":"ipv6","rtt_ms":3.25,"streams":2,"policy":"prefer-ipv6",
			"families":[{"family":"ipv4","state":"unknown"},{"family":"ipv6","state":"ok","last_error":""}]},"listeners":[],"uptime":"1m0s","ipv6_enabled":false}`,
			[]string{"tunnel: up via ipv6 to [::1]:443, rtt 3.2 ms, 2 streams", "ipv6    disabled", "IPv6 is disabled (ENABLE_IPV6=false)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := decodeStatus([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			printStatus(&out, "127.0.0.1:8090", st)
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	if _, err := decodeStatus([]byte("<html>")); err == nil {
		t.Error("HTML accepted as status")
	}
}

func FuzzDecodeStatus(f *testing.F) {
	f.Add([]byte(`{"tunnel":{"up":true,"families":[{"Family":1,"State":"ok","RTT":5}]},"listeners":[{"kind":"http","addr":"[::1]:1"}]}`))
	f.Add([]byte(`{"tunnel":{"families":[{"family":-1,"state":99}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStatus(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		printStatus(&out, "x", st)
	})
}
