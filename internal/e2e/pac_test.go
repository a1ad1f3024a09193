package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// pacRequests fetches the PAC the client serves on HTTP_PORT, checks that
// it sends the routed names to the proxy without resolving them, and makes
// a request through every proxy it names.
func pacRequests(t *testing.T, b *bed, m leakMode) {
	pacURL := fmt.Sprintf("http://127.0.0.1:%d/proxy.pac", httpPort)
	hc := http.Client{Timeout: reqTimeout, Transport: &http.Transport{DialContext: b.client.DialContext, DisableKeepAlives: true}}
	resp, err := hc.Get(pacURL)
	if err != nil {
		t.Fatalf("GET %s: %v", pacURL, err)
	}
	script, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Skipf("the client serves no PAC at %s (404): the PAC generator is not wired into the client (internal/cli/pacsource.go)", pacURL)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", pacURL, resp.StatusCode, err)
	}
	names := []string{dualName, v4Name}
	if m.v6 {
		names = append(names, v6Name)
	}
	for _, name := range names {
		proxies := findProxy(t, script, "http://"+name+"/", name)
		t.Logf("PAC: FindProxyForURL(http://%s/) = %q", name, proxies)
		if len(proxies) == 0 || proxies[0] == "DIRECT" {
			t.Errorf("PAC sends %s %q, want a proxy first", name, proxies)
			continue
		}
		for _, p := range proxies {
			pacRequest(t, b, p, name)
		}
	}
}

// pacRequest fetches http://name/ through one PAC entry ("SOCKS5 h:p",
// "PROXY h:p"); DIRECT is skipped.
func pacRequest(t *testing.T, b *bed, entry, name string) {
	kind, hostport, _ := strings.Cut(entry, " ")
	if kind == "DIRECT" {
		return
	}
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		t.Errorf("PAC entry %q: %v", entry, err)
		return
	}
	var r result
	switch kind {
	case "SOCKS5", "SOCKS":
		r, err = socksGet(b.client, ap, fmt.Sprintf("%s:%d", name, webPort))
	case "PROXY":
		r, err = httpForward(b.client, ap, "http://"+name+"/")
	default:
		t.Errorf("PAC entry %q: unknown kind", entry)
		return
	}
	wantVia(t, "PAC "+entry+" → "+name, r, err, b.server)
}

// findProxy runs FindProxyForURL and splits its answer. The PAC helpers
// that resolve names locally throw: calling one would be a DNS leak.
func findProxy(t *testing.T, script []byte, rawURL, host string) []string {
	t.Helper()
	vm := goja.New()
	for _, f := range []string{"dnsResolve", "dnsResolveEx", "isInNet", "isInNetEx", "isResolvable", "myIpAddress"} {
		vm.Set(f, func(goja.FunctionCall) goja.Value { panic(vm.NewGoError(os.ErrPermission)) })
	}
	done := time.AfterFunc(5*time.Second, func() { vm.Interrupt("PAC ran for 5 s") })
	defer done.Stop()
	if _, err := vm.RunString(string(script)); err != nil {
		t.Fatalf("PAC does not run: %v\n%s", err, tail(string(script), 30))
	}
	fn, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		t.Fatalf("PAC (%d bytes) defines no FindProxyForURL:\n%s", len(script), tail(string(script), 30))
	}
	v, err := fn(goja.Undefined(), vm.ToValue(rawURL), vm.ToValue(host))
	if err != nil {
		t.Fatalf("FindProxyForURL(%q, %q): %v", rawURL, host, err)
	}
	var out []string
	for _, e := range strings.Split(v.String(), ";") {
		if e = strings.Join(strings.Fields(e), " "); e != "" {
			out = append(out, e)
		}
	}
	return out
}
