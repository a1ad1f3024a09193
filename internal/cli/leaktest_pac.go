package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/dop251/goja"
)

// leakPACRows fetches the client's PAC and checks that every sample name
// goes to a proxy on IPv4 loopback first, that the IPv6 proxies are offered
// too, and that the script never resolves a routed name locally.
func leakPACRows(ctx context.Context, cfg *config.Config, sample leakSampleSet, timeout time.Duration) []leakRow {
	const check = "PAC routes names to the proxy"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, where, err := adminGet(ctx, cfg.AdminAddr, "/proxy.pac")
	var he *adminHTTPError
	switch {
	case errors.As(err, &he) && he.code == http.StatusNotFound:
		return []leakRow{{check, "-", leakSkip, "skipped: client serves no PAC yet"}}
	case err != nil:
		return []leakRow{{check, "-", leakFail, "GET /proxy.pac: " + err.Error()}}
	case len(sample.routed()) == 0:
		return []leakRow{{check, "-", leakSkip, "no domain of DOMAINS_FILE to test; add domains with `autovpn domains add`"}}
	}
	res, err := evalPAC(body, sample.routed())
	if err != nil {
		return []leakRow{{check, "-", leakFail, "PAC from " + where + ": " + err.Error()}}
	}
	rows := judgePAC(cfg, res)
	if n := len(sample.names) - len(res.names); n > 0 {
		for i := range rows {
			rows[i].Detail += fmt.Sprintf(" (%d --domain names not in DOMAINS_FILE left out: the PAC rightly sends them direct)", n)
		}
	}
	return rows
}

// pacResult is what a PAC returned for each name and which resolving
// helpers it called (each call is a local DNS query: a leak).
type pacResult struct {
	names    []string
	proxies  map[string]string
	resolved []string // "dnsResolve(name)" calls
}

// evalPAC runs the PAC's FindProxyForURL for https://NAME/ of each name.
// The resolving helpers are recorded and answer "not resolvable".
func evalPAC(script []byte, names []string) (*pacResult, error) {
	res := &pacResult{names: names, proxies: map[string]string{}}
	vm := goja.New()
	stop := time.AfterFunc(5*time.Second, func() { vm.Interrupt("PAC ran longer than 5s") })
	defer stop.Stop()
	for _, f := range []string{"dnsResolve", "dnsResolveEx", "isResolvable", "isResolvableEx", "isInNet", "isInNetEx", "myIpAddress", "myIpAddressEx"} {
		vm.Set(f, func(c goja.FunctionCall) goja.Value {
			res.resolved = append(res.resolved, fmt.Sprintf("%s(%s)", f, c.Argument(0).String()))
			return goja.Null()
		})
	}
	pacHelpers(vm)
	if _, err := vm.RunString(string(script)); err != nil {
		return nil, fmt.Errorf("does not run: %v", err)
	}
	fn, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		return nil, errors.New("defines no FindProxyForURL function")
	}
	for _, n := range names {
		v, err := fn(goja.Undefined(), vm.ToValue("https://"+n+"/"), vm.ToValue(n))
		if err != nil {
			return nil, fmt.Errorf("FindProxyForURL(%q): %v", n, err)
		}
		res.proxies[n] = v.String()
	}
	return res, nil
}

// pacHelpers defines the non-resolving PAC helpers a script may use.
func pacHelpers(vm *goja.Runtime) {
	vm.Set("isPlainHostName", func(h string) bool { return !strings.Contains(h, ".") })
	vm.Set("dnsDomainIs", func(h, d string) bool { return strings.HasSuffix(strings.ToLower(h), strings.ToLower(d)) })
	vm.Set("localHostOrDomainIs", func(h, d string) bool {
		return h == d || !strings.Contains(h, ".") && strings.HasPrefix(d, h+".")
	})
	vm.Set("dnsDomainLevels", func(h string) int { return strings.Count(h, ".") })
	vm.Set("shExpMatch", func(s, pat string) bool {
		return globMatch(pat, s)
	})
}

// globMatch matches shell patterns (* and ?), where * also spans dots.
func globMatch(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(pat[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
		}
		pat, s = pat[1:], s[1:]
	}
	return s == ""
}

// pacEntry is one "KIND host:port" element of a PAC result.
type pacEntry struct {
	kind string
	addr netip.Addr
}

func parsePACResult(s string) []pacEntry {
	var out []pacEntry
	for _, part := range strings.Split(s, ";") {
		f := strings.Fields(part)
		if len(f) != 2 {
			continue
		}
		host, _, err := net.SplitHostPort(f[1])
		if err != nil {
			continue
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			continue
		}
		out = append(out, pacEntry{kind: strings.ToUpper(f[0]), addr: a.Unmap()})
	}
	return out
}

func isProxyKind(k string) bool {
	return k == "SOCKS5" || k == "SOCKS" || k == "PROXY" || k == "HTTPS" || k == "HTTP"
}

// localProxy reports whether e is one of the client's proxies of family v6.
func localProxy(cfg *config.Config, e pacEntry, v6 bool) bool {
	if !isProxyKind(e.kind) || e.addr.Is4() == v6 {
		return false
	}
	listen := cfg.ListenV4
	if v6 {
		listen = cfg.ListenV6
	}
	l, err := netip.ParseAddr(listen)
	return e.addr.IsLoopback() || err == nil && l.Unmap() == e.addr
}

func judgePAC(cfg *config.Config, res *pacResult) []leakRow {
	const check = "PAC routes names to the proxy"
	var rows []leakRow
	if len(res.resolved) > 0 {
		rows = append(rows, leakRow{"PAC never resolves names", "-", leakLeak,
			"the PAC makes local DNS queries: " + strings.Join(firstN(res.resolved, 3), ", ")})
	}
	var bad [2][]string
	for _, n := range res.names {
		es := parsePACResult(res.proxies[n])
		if len(es) == 0 || !localProxy(cfg, es[0], false) {
			bad[0] = append(bad[0], fmt.Sprintf("%s → %q", n, res.proxies[n]))
		}
		found := false
		for _, e := range es {
			found = found || localProxy(cfg, e, true)
		}
		if !found {
			bad[1] = append(bad[1], n)
		}
	}
	rows = append(rows, pacRow(check, "ipv4", len(res.names), bad[0], "start with a proxy on the IPv4 loopback", "go elsewhere"))
	if cfg.EnableIPv6 {
		rows = append(rows, pacRow(check, "ipv6", len(res.names), bad[1], "offer the proxy on the IPv6 loopback", "lack an IPv6 proxy entry"))
	} else {
		rows = append(rows, leakRow{check, "ipv6", leakSkip, "ENABLE_IPV6=false"})
	}
	return rows
}

func pacRow(check, fam string, total int, bad []string, good, badText string) leakRow {
	if len(bad) > 0 {
		return leakRow{check, fam, leakLeak, fmt.Sprintf("%d of %d names %s: %s", len(bad), total, badText, strings.Join(firstN(bad, 3), "; "))}
	}
	return leakRow{check, fam, leakPass, fmt.Sprintf("all %d names %s", total, good)}
}
