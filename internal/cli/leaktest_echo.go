package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/autovpn/autovpn/internal/config"
	"golang.org/x/net/proxy"
)

// echoView is what an IP-echo endpoint saw: the caller's address, or why
// the request failed.
type echoView struct {
	Addr netip.Addr
	Err  error
}

func (v echoView) String() string {
	if v.Err != nil {
		return "failed (" + v.Err.Error() + ")"
	}
	return v.Addr.String()
}

// leakEchoRows asks each family's IP-echo URL who is calling, directly and
// through the SOCKS5 proxy, and judges the two answers.
func leakEchoRows(ctx context.Context, cfg *config.Config, st *statusView, o leakOptions) []leakRow {
	const check = "IP echo: tunnel shows the server"
	var rows []leakRow
	var servers []netip.Addr
	for f, url := range [2]string{o.echo4, o.echo6} {
		fam := leakFamNames[f]
		switch {
		case url == "":
			rows = append(rows, leakRow{check, fam, leakSkip, fmt.Sprintf("no --echo%c URL (an IP-echo endpoint reachable over %s)", fam[3], famTitle(fam))})
			continue
		case f == 1 && !cfg.EnableIPv6:
			rows = append(rows, leakRow{check, fam, leakSkip, "ENABLE_IPV6=false"})
			continue
		}
		socks := socksAddrOf(st)
		if socks == "" {
			rows = append(rows, leakRow{check, fam, leakFail, "the client has no working SOCKS5 listener to send the request through"})
			continue
		}
		if servers == nil {
			servers = knownServerAddrs(ctx, cfg, o)
		}
		direct := fetchEcho(ctx, url, o, directDialer(fam, o))
		tunnel := fetchEcho(ctx, url, o, socksDialer(socks, cfg))
		res, detail := judgeEcho(fam, direct, tunnel, servers)
		rows = append(rows, leakRow{check, fam, res, detail})
	}
	return rows
}

// socksAddrOf picks the client's SOCKS5 listener, IPv4 first.
func socksAddrOf(st *statusView) string {
	for _, fam := range leakFamNames {
		if l, ok := findListener(st, "socks5", fam); ok && l.Error == "" {
			return dialableAddr(l.Addr)
		}
	}
	return ""
}

// knownServerAddrs lists the server's addresses of both families.
func knownServerAddrs(ctx context.Context, cfg *config.Config, o leakOptions) []netip.Addr {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	targets, _ := checkTargets(ctx, cfg, net.DefaultResolver.LookupNetIP)
	out := []netip.Addr{}
	for _, ts := range targets {
		for _, t := range ts {
			out = append(out, t.addr.Addr())
		}
	}
	return out
}

type dialContextFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// directDialer dials outside the tunnel, forced onto family fam.
func directDialer(fam string, o leakOptions) dialContextFunc {
	network := "tcp4"
	if fam == "ipv6" {
		network = "tcp6"
	}
	dial := o.directDial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, _, addr string) (net.Conn, error) { return dial(ctx, network, addr) }
}

// socksDialer dials through the client's SOCKS5 proxy; names travel to the
// server unresolved.
func socksDialer(addr string, cfg *config.Config) dialContextFunc {
	var auth *proxy.Auth
	if cfg.User != "" || cfg.Pass != "" {
		auth = &proxy.Auth{User: cfg.User, Password: cfg.Pass}
	}
	d, err := proxy.SOCKS5("tcp", addr, auth, &net.Dialer{})
	if err != nil {
		return func(context.Context, string, string) (net.Conn, error) { return nil, err }
	}
	return d.(proxy.ContextDialer).DialContext
}

// fetchEcho GETs url over dial and parses the caller's address it returns.
func fetchEcho(ctx context.Context, url string, o leakOptions, dial dialContextFunc) echoView {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dial, DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return echoView{Err: err}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return echoView{Err: shortNetErr(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return echoView{Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return echoView{Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	a, err := parseEchoBody(body)
	return echoView{Addr: a, Err: err}
}

// parseEchoBody reads the caller's address from an IP-echo answer: a bare
// address (icanhazip, ifconfig.co, api64.ipify.org) or JSON with an "ip",
// "origin", "address" or "query" field (httpbin, ipinfo, ip-api).
func parseEchoBody(b []byte) (netip.Addr, error) {
	b = bytes.TrimSpace(b)
	s := ""
	if bytes.HasPrefix(b, []byte("{")) {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return netip.Addr{}, fmt.Errorf("echo answer is not valid JSON: %v", err)
		}
		for _, k := range []string{"ip", "origin", "address", "query"} {
			if v, ok := m[k].(string); ok {
				s = v
				break
			}
		}
	} else if f := strings.Fields(string(b)); len(f) > 0 {
		s = f[0]
	}
	s, _, _ = strings.Cut(s, ",") // httpbin's origin may list proxies
	a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(s), "[]"))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("echo answer %q holds no IP address", truncate(string(b), 60))
	}
	return a.Unmap().WithZone(""), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// judgeEcho decides the IP-echo check of family fam from what the echo
// endpoint saw directly and through the tunnel, and the server's known
// addresses. Seeing the direct address through the tunnel is a leak.
func judgeEcho(fam string, direct, tunnel echoView, servers []netip.Addr) (result, detail string) {
	wantV6 := fam == "ipv6"
	switch {
	case tunnel.Err != nil:
		return leakFail, "through the tunnel: " + tunnel.Err.Error()
	case tunnel.Addr.Is6() != wantV6:
		return leakUnproven, fmt.Sprintf("the echo saw %s through the tunnel, not an %s address; use an %s-only echo URL", tunnel.Addr, famTitle(fam), famTitle(fam))
	case direct.Err == nil && direct.Addr == tunnel.Addr:
		return leakLeak, fmt.Sprintf("the tunnel shows the direct address %s: traffic does not leave through the server", tunnel.Addr)
	}
	isServer, known := false, false
	for _, s := range servers {
		if s.Is6() == wantV6 {
			known = true
			isServer = isServer || s == tunnel.Addr
		}
	}
	seen := fmt.Sprintf("tunnel %s, direct %s", tunnel.Addr, direct)
	switch {
	case isServer:
		return leakPass, seen + " (the tunnel shows the server)"
	case known:
		return leakWarn, seen + ": the tunnel address is not one of the server's configured addresses (fine if the server sends from another address)"
	case direct.Err == nil:
		return leakPass, seen + " (they differ)"
	}
	return leakUnproven, seen + ": no direct view and no known server address to compare with"
}
