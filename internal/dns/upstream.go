package dns

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// udpSize is the EDNS0 buffer size we advertise (DNS flag day 2020): larger
// answers come back truncated and are asked again over TCP.
const udpSize = 1232

// maxDoHResponse bounds a DoH body; a DNS message is at most 64 KiB.
const maxDoHResponse = 65535

// upstream sends one query and returns the response.
type upstream interface {
	exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error)
	String() string
}

// parseUpstream turns one Options.Upstreams entry into an upstream.
func parseUpstream(s string, o *Options) (upstream, error) {
	switch {
	case strings.HasPrefix(s, "tls://"):
		hp, err := hostPort(strings.TrimPrefix(s, "tls://"), "853")
		if err != nil {
			return nil, fmt.Errorf("upstream %q: %v", s, err)
		}
		host, _, _ := net.SplitHostPort(hp)
		cfg := o.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		c := &mdns.Client{Net: "tcp-tls", TLSConfig: cfg, Timeout: o.Timeout}
		return &plainUpstream{addr: hp, name: s, c: c}, nil
	case strings.HasPrefix(s, "https://"):
		return newDoH(s, o)
	case strings.HasPrefix(s, "tcp://"):
		hp, err := hostPort(strings.TrimPrefix(s, "tcp://"), "53")
		if err != nil {
			return nil, fmt.Errorf("upstream %q: %v", s, err)
		}
		return &plainUpstream{addr: hp, name: s, c: &mdns.Client{Net: "tcp", Timeout: o.Timeout}}, nil
	}
	hp, err := hostPort(strings.TrimPrefix(s, "udp://"), "53")
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %v", s, err)
	}
	if _, err := netip.ParseAddrPort(hp); err != nil {
		return nil, fmt.Errorf("upstream %q: want an IP address (ip, ip:port, [v6]:port), tls://host or https://host/path", s)
	}
	return &plainUpstream{
		addr: hp, name: hp,
		c:   &mdns.Client{Net: "udp", UDPSize: udpSize, Timeout: o.Timeout},
		tcp: &mdns.Client{Net: "tcp", Timeout: o.Timeout},
	}, nil
}

// hostPort accepts "host", "host:port", "v6", "[v6]" and "[v6]:port".
func hostPort(s, defPort string) (string, error) {
	if s == "" {
		return "", errors.New("empty address")
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return net.JoinHostPort(a.String(), defPort), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, defPort
	}
	if host == "" || strings.ContainsAny(host, "/[]") {
		return "", fmt.Errorf("bad host %q", host)
	}
	return net.JoinHostPort(host, port), nil
}

// plainUpstream is DNS over UDP (falling back to TCP on truncation), TCP or
// TLS, one connection per query.
type plainUpstream struct {
	addr, name string
	c, tcp     *mdns.Client
}

func (u *plainUpstream) String() string { return u.name }

func (u *plainUpstream) exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error) {
	resp, _, err := u.c.ExchangeContext(ctx, m, u.addr)
	if err == nil && resp.Truncated && u.tcp != nil {
		resp, _, err = u.tcp.ExchangeContext(ctx, m, u.addr)
	}
	return resp, err
}

// dohUpstream is DNS over HTTPS (RFC 8484), POST by default, GET when the
// URL carries "?method=get" (the parameter is not sent).
type dohUpstream struct {
	url  string
	get  bool
	name string
	hc   *http.Client
}

func newDoH(s string, o *Options) (upstream, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("upstream %q: not a URL like https://host/dns-query", s)
	}
	q := u.Query()
	get := strings.EqualFold(q.Get("method"), "get")
	q.Del("method")
	u.RawQuery = q.Encode()
	if u.Path == "" {
		u.Path = "/dns-query"
	}
	hc := o.HTTPClient
	if hc == nil {
		tr := &http.Transport{
			Proxy:               nil, // never through a proxy: DNS for the tunnel must not loop
			TLSClientConfig:     o.TLSConfig.Clone(),
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		}
		hc = &http.Client{Transport: tr}
	}
	return &dohUpstream{url: u.String(), get: get, name: s, hc: hc}, nil
}

func (u *dohUpstream) String() string { return u.name }

func (u *dohUpstream) exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error) {
	q := m.Copy()
	q.Id = 0 // RFC 8484 §4.1: cache friendly
	wire, err := q.Pack()
	if err != nil {
		return nil, err
	}
	req, err := u.request(ctx, wire)
	if err != nil {
		return nil, err
	}
	resp, err := u.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDoHResponse+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w (HTTP %s)", ErrServFail, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/dns-message") {
		return nil, fmt.Errorf("%w (Content-Type %q, want application/dns-message)", ErrServFail, ct)
	}
	out := new(mdns.Msg)
	if err := out.Unpack(body); err != nil {
		return nil, fmt.Errorf("bad DoH answer: %v", err)
	}
	out.Id = m.Id
	return out, nil
}

func (u *dohUpstream) request(ctx context.Context, wire []byte) (*http.Request, error) {
	var req *http.Request
	var err error
	if u.get {
		sep := "?"
		if strings.Contains(u.url, "?") {
			sep = "&"
		}
		q := u.url + sep + "dns=" + base64.RawURLEncoding.EncodeToString(wire)
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, q, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.url, bytes.NewReader(wire))
		if req != nil {
			req.Header.Set("Content-Type", "application/dns-message")
		}
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/dns-message")
	return req, nil
}
