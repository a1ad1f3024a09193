package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wire"
)

// leakFamilies lists the families the client should serve.
func leakFamilies(cfg *config.Config) []string {
	if cfg.EnableIPv6 {
		return []string{"ipv4", "ipv6"}
	}
	return []string{"ipv4"}
}

// listenerFamily is "ipv6" for a bracketed address, else "ipv4".
func listenerFamily(addr string) string {
	if strings.HasPrefix(addr, "[") {
		return "ipv6"
	}
	return "ipv4"
}

// findListener returns the client's listener of kind on family fam.
func findListener(st *statusView, kind, fam string) (listener, bool) {
	for _, l := range st.Listeners {
		if l.Kind == kind && listenerFamily(l.Addr) == fam {
			return l, true
		}
	}
	return listener{}, false
}

// dialableAddr turns a bound address into one to connect to: an
// unspecified host becomes the loopback of its family.
func dialableAddr(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsUnspecified() {
		return addr
	}
	lo := netip.IPv6Loopback()
	if ap.Addr().Is4() {
		lo = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrPortFrom(lo, ap.Port()).String()
}

// leakProxyRows checks that the SOCKS5 and HTTP proxies answer on every
// family the client should serve.
func leakProxyRows(ctx context.Context, cfg *config.Config, st *statusView, timeout time.Duration) []leakRow {
	var rows []leakRow
	for _, kind := range []string{"socks5", "http"} {
		if _, ok4 := findListener(st, kind, "ipv4"); !ok4 {
			if _, ok6 := findListener(st, kind, "ipv6"); !ok6 {
				rows = append(rows, leakRow{kind + " proxy", "-", leakSkip, "the client runs without it (--mode wireguard)"})
				continue
			}
		}
		for _, fam := range leakFamilies(cfg) {
			rows = append(rows, proxyRow(ctx, st, kind, fam, timeout))
		}
	}
	return rows
}

func proxyRow(ctx context.Context, st *statusView, kind, fam string, timeout time.Duration) leakRow {
	row := leakRow{Check: kind + " proxy answers", Family: fam}
	l, ok := findListener(st, kind, fam)
	switch {
	case !ok:
		row.Result, row.Detail = leakFail, "no "+fam+" listener (its traffic would have to go elsewhere)"
		return row
	case l.Error != "":
		row.Result, row.Detail = leakFail, "listener "+l.Addr+" degraded: "+l.Error
		return row
	}
	addr := dialableAddr(l.Addr)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	probe := probeSOCKS5
	if kind == "http" {
		probe = probeHTTPProxy
	}
	if err := probe(ctx, addr); err != nil {
		row.Result, row.Detail = leakFail, fmt.Sprintf("%s: %v", addr, err)
		return row
	}
	row.Result, row.Detail = leakPass, "answers at "+addr
	return row
}

// dialProbe connects to addr for a probe bounded by ctx's deadline.
func dialProbe(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return c, nil
}

// probeSOCKS5 sends a SOCKS5 greeting and expects a SOCKS5 method reply.
func probeSOCKS5(ctx context.Context, addr string) error {
	c, err := dialProbe(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte{5, 2, 0, 2}); err != nil { // no auth or user/pass
		return err
	}
	var rep [2]byte
	if _, err := io.ReadFull(c, rep[:]); err != nil {
		return fmt.Errorf("no SOCKS5 answer: %w", err)
	}
	if rep[0] != 5 {
		return fmt.Errorf("not a SOCKS5 server (answered version %d)", rep[0])
	}
	return nil
}

// probeHTTPProxy sends a request for /proxy.pac and expects any HTTP answer.
func probeHTTPProxy(ctx context.Context, addr string) error {
	c, err := dialProbe(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /proxy.pac HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("no HTTP answer: %w", err)
	}
	resp.Body.Close()
	return nil
}

// leakResolveRows resolves the sample through a short-lived tunnel of our
// own: the server answers A and AAAA, the local resolver is not involved.
// It also returns the answers, in the order of sample (nil when there are
// none), for the coverage checks.
func leakResolveRows(ctx context.Context, cfg *config.Config, sample []string, timeout time.Duration) ([]leakRow, []wire.NameAnswer) {
	rows := func(result string, detail [2]string) []leakRow {
		return []leakRow{{"names resolved at server (A)", "ipv4", result, detail[0]}, {"names resolved at server (AAAA)", "ipv6", result, detail[1]}}
	}
	if len(sample) == 0 {
		d := "no routed domains: DOMAINS_FILE lists none; add one with --domain NAME"
		return rows(leakSkip, [2]string{d, d}), nil
	}
	answers, err := resolveViaTunnel(ctx, cfg, sample, timeout)
	if err != nil {
		d := "resolve through the tunnel: " + err.Error()
		return rows(leakFail, [2]string{d, d}), nil
	}
	out := rows(leakPass, summarizeAnswers(sample, answers))
	if !cfg.EnableIPv6 {
		out[1].Result = leakSkip
		out[1].Detail = "ENABLE_IPV6=false: " + out[1].Detail
	}
	return out, answers
}

// summarizeAnswers describes, per family, what the server answered.
func summarizeAnswers(names []string, answers []wire.NameAnswer) [2]string {
	var have [2][]string
	var failed []string
	for i, a := range answers {
		if a.Code != netx.OK {
			failed = append(failed, names[i]+": "+a.Code.String())
			continue
		}
		var got [2]bool
		for _, r := range a.Records {
			if r.IP.Unmap().Is4() {
				got[0] = true
			} else {
				got[1] = true
			}
		}
		for f := range got {
			if got[f] {
				have[f] = append(have[f], names[i])
			}
		}
	}
	var out [2]string
	for f, rr := range [2]string{"A", "AAAA"} {
		out[f] = fmt.Sprintf("the server answered %d of %d names; %d with %s", len(answers)-len(failed), len(names), len(have[f]), rr)
		if len(have[f]) > 0 {
			out[f] += " (" + strings.Join(firstN(have[f], 3), ", ") + ")"
		}
		if len(failed) > 0 {
			out[f] += "; no answer: " + strings.Join(firstN(failed, 3), ", ")
		}
	}
	return out
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("%d more", len(s)-n))
	}
	return s
}

// resolveViaTunnel opens its own tunnel with the config and resolves names
// at the server.
func resolveViaTunnel(ctx context.Context, cfg *config.Config, names []string, timeout time.Duration) ([]wire.NameAnswer, error) {
	c, err := newTunnelClient(cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var out []wire.NameAnswer
	for len(names) > 0 {
		n := min(len(names), wire.MaxNames)
		ans, err := c.Resolve(ctx, names[:n])
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w (last tunnel error: %s)", err, orDash(c.Status().LastError))
			}
			return nil, err
		}
		out, names = append(out, ans...), names[n:]
	}
	return out, nil
}
