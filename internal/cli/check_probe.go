package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/autovpn/autovpn/internal/tunnel"
)

// checkTarget is one server address to probe.
type checkTarget struct {
	addr netip.AddrPort
	name string // the host name it was resolved from ("" for a literal)
}

// lookupFunc resolves a host name for one network ("ip4" or "ip6").
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// checkTargets lists every server address per family: SERVER_IP literals and
// the A and AAAA of its host names, and SERVER_IP_V6. Names that do not
// resolve for a family become notes of that family.
func checkTargets(ctx context.Context, cfg *config.Config, look lookupFunc) (targets [2][]checkTarget, notes [2][]string) {
	var mu sync.Mutex
	seen := map[netip.AddrPort]bool{}
	add := func(ip netip.Addr, name string) {
		ap := netip.AddrPortFrom(ip.Unmap(), cfg.ServerPort)
		mu.Lock()
		defer mu.Unlock()
		if !seen[ap] {
			seen[ap] = true
			f := pathsel.FamilyOf(ap.Addr())
			targets[f] = append(targets[f], checkTarget{addr: ap, name: name})
		}
	}
	var wg sync.WaitGroup
	for _, h := range append(append([]string{}, cfg.ServerHosts...), cfg.ServerHostsV6...) {
		if ip, err := netip.ParseAddr(h); err == nil {
			add(ip, "")
			continue
		}
		for f, network := range [2]string{"ip4", "ip6"} {
			wg.Go(func() {
				ips, err := look(ctx, network, h)
				if err != nil || len(ips) == 0 {
					rr := [2]string{"A", "AAAA"}[f]
					mu.Lock()
					notes[f] = append(notes[f], fmt.Sprintf("%s: no %s record (%s)", h, rr, lookupErrText(err)))
					mu.Unlock()
				}
				for _, ip := range ips {
					add(ip, h)
				}
			})
		}
	}
	wg.Wait()
	for f := range targets {
		slices.SortFunc(targets[f], func(a, b checkTarget) int { return a.addr.Compare(b.addr) })
	}
	return targets, notes
}

func lookupErrText(err error) string {
	var de *net.DNSError
	switch {
	case err == nil:
		return "empty answer"
	case errors.As(err, &de) && de.IsNotFound:
		return "not found"
	case errors.As(err, &de) && de.IsTimeout:
		return "timeout"
	}
	return err.Error()
}

// checkProbe is the outcome of probing one server address.
type checkProbe struct {
	Family  string   `json:"family"`
	Address string   `json:"address"`
	Name    string   `json:"name,omitempty"` // host name the address came from
	TCPms   *float64 `json:"tcp_ms,omitempty"`
	TLSms   *float64 `json:"tls_ms,omitempty"`
	WSms    *float64 `json:"ws_ms,omitempty"`
	RTTms   *float64 `json:"rtt_ms,omitempty"`
	Pin     string   `json:"tls_pin,omitempty"` // ok, mismatch, not set
	Auth    string   `json:"auth,omitempty"`    // ok, rejected
	OK      bool     `json:"ok"`
	Result  string   `json:"result"` // "ok" or a short reason
	Error   string   `json:"error,omitempty"`
}

func ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

// probeServer connects to t, does TLS (when configured) and the WebSocket
// upgrade on the secret path, then waits for one keepalive round trip.
// Each step is timed; the whole probe is bounded by timeout.
func probeServer(ctx context.Context, cfg *config.Config, t checkTarget, timeout time.Duration) (p checkProbe) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p = checkProbe{Family: pathsel.FamilyOf(t.addr.Addr()).String(), Address: t.addr.String(), Name: t.name}
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.addr.String())
	if err != nil {
		return p.fail(connectReason(err), err)
	}
	p.TCPms = ms(time.Since(start))
	host := t.addr.String()
	if t.name != "" {
		host = net.JoinHostPort(t.name, strconv.Itoa(int(cfg.ServerPort)))
	}
	if cfg.TLS {
		if conn, err = p.tlsStep(ctx, conn, host, cfg.TLSPin); err != nil {
			return p
		}
	}
	start = time.Now()
	sess, err := tunnel.Handshake(ctx, conn, tunnel.ClientOptions{Prefix: cfg.Prefix, Host: host, Keepalive: cfg.KeepaliveInterval})
	if err != nil {
		if errors.Is(err, tunnel.ErrRejected) {
			p.Auth = "rejected"
			return p.fail("auth rejected: "+rejectedStatus(err)+" (wrong PREFIX, or not an autovpn server)", err)
		}
		return p.fail("websocket upgrade failed", err)
	}
	defer sess.Close()
	p.WSms, p.Auth = ms(time.Since(start)), "ok"
	rtt, err := awaitRTT(ctx, sess)
	if err != nil {
		return p.fail("no keepalive answer", err)
	}
	p.RTTms, p.OK, p.Result = ms(rtt), true, "ok"
	return p
}

func (p checkProbe) fail(reason string, err error) checkProbe {
	p.Result = reason
	if err != nil {
		p.Error = err.Error()
	}
	return p
}

// tlsStep runs the TLS handshake with the pin check of the tunnel client.
func (p *checkProbe) tlsStep(ctx context.Context, conn net.Conn, host string, pin []byte) (net.Conn, error) {
	name, _, _ := net.SplitHostPort(host)
	tc := tls.Client(conn, tunnel.ClientTLSConfig(name, pin))
	start := time.Now()
	err := tc.HandshakeContext(ctx)
	switch {
	case errors.Is(err, tunnel.ErrPinMismatch):
		p.Pin = "mismatch"
		*p = p.fail("TLS pin mismatch (the server's certificate is not the one TLS_PIN names)", err)
	case err != nil:
		*p = p.fail("TLS handshake failed (does the server run with TLS=true?)", err)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.TLSms = ms(time.Since(start))
	p.Pin = "ok"
	if len(pin) == 0 {
		p.Pin = "not set (CA verified)"
	}
	return tc, nil
}

// awaitRTT waits for the session's first keepalive round trip.
func awaitRTT(ctx context.Context, sess *tunnel.Session) (time.Duration, error) {
	sess.Ping()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if rtt := sess.RTT(); rtt > 0 {
			return rtt, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no pong from %s: %w", sess.Remote(), ctx.Err())
		case <-sess.Done():
			return 0, fmt.Errorf("tunnel to %s closed before its first pong", sess.Remote())
		case <-tick.C:
		}
	}
}

var httpStatusRE = regexp.MustCompile(`HTTP \d{3}`)

func rejectedStatus(err error) string {
	if s := httpStatusRE.FindString(err.Error()); s != "" {
		return s
	}
	return "refused"
}

// connectReason names a TCP connect failure in a few words.
func connectReason(err error) string {
	switch netx.ClassifyDialError(err) {
	case netx.Timeout:
		return "connect timeout"
	case netx.Refused:
		return "connection refused"
	case netx.NetUnreachable:
		return "network unreachable"
	case netx.HostUnreachable:
		return "host unreachable"
	case netx.NoFamily:
		return "this host has no route of this family"
	}
	return "connect failed"
}
