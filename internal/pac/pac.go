// Package pac renders proxy auto-config files: valid JavaScript whose
// FindProxyForURL sends routed domains to autovpn's local proxies over both
// families and everything else direct (or the reverse, in bypass mode). A
// generated PAC never resolves a name: no dnsResolve, isInNet, isResolvable
// or myIpAddress, so routed names never reach the local DNS.
package pac

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Mode chooses what goes through the proxy.
type Mode string

// Modes (DESIGN §4).
const (
	Smart  Mode = "smart"  // listed domains via proxy, the rest direct
	Bypass Mode = "bypass" // direct domains and local addresses direct, the rest via proxy
	All    Mode = "all"    // everything via proxy except local names and addresses
	Direct Mode = "direct" // everything direct
)

// ParseMode checks a --mode value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Smart, Bypass, All, Direct:
		return m, nil
	}
	return "", fmt.Errorf("PAC mode %q: want smart, bypass, all or direct", s)
}

// Options describe one PAC file.
type Options struct {
	Mode          Mode
	Domains       []string // routed domains (smart); "*.x" matches subdomains of x only
	DirectDomains []string // domains sent direct (bypass)
	SOCKS5Port    uint16   // 0 leaves SOCKS5 out
	HTTPPort      uint16   // 0 leaves HTTP out
	ListenV4      string   // client listen address; "" or 0.0.0.0 means 127.0.0.1
	ListenV6      string   // "" or :: means ::1
	EnableIPv6    bool     // offer the IPv6 listeners too
}

// ETag is a strong HTTP entity tag for a PAC body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// ProxyString is the PAC result for proxied requests, both families, e.g.
// "SOCKS5 127.0.0.1:1082; SOCKS5 [::1]:1082; PROXY 127.0.0.1:8081; PROXY [::1]:8081; DIRECT".
func ProxyString(o Options) (string, error) {
	hosts := []string{}
	v4, err := listenHost(o.ListenV4, "127.0.0.1", false)
	if err != nil {
		return "", err
	}
	hosts = append(hosts, v4)
	if o.EnableIPv6 {
		v6, err := listenHost(o.ListenV6, "::1", true)
		if err != nil {
			return "", err
		}
		hosts = append(hosts, v6)
	}
	var parts []string
	for _, p := range []struct {
		kind string
		port uint16
	}{{"SOCKS5", o.SOCKS5Port}, {"PROXY", o.HTTPPort}} {
		if p.port == 0 {
			continue
		}
		for _, h := range hosts {
			parts = append(parts, fmt.Sprintf("%s %s", p.kind, netip.AddrPortFrom(netip.MustParseAddr(h), p.port)))
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("PAC: neither SOCKS5_PORT nor HTTP_PORT is set")
	}
	return strings.Join(append(parts, "DIRECT"), "; "), nil
}

// listenHost turns a listen address into the address a browser should use:
// an unspecified address (listening on all) becomes loopback.
func listenHost(s, def string, v6 bool) (string, error) {
	if s == "" {
		return def, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil || a.Is4() == v6 || a.Zone() != "" {
		fam := "IPv4"
		if v6 {
			fam = "IPv6"
		}
		return "", fmt.Errorf("PAC: listen address %q is not an %s address", s, fam)
	}
	if a.IsUnspecified() {
		return def, nil
	}
	return a.String(), nil
}

// domainSets splits a list into exact-or-subdomain names and subdomain-only
// wildcards, as JSON object literals keyed by "." + name ("." keeps keys such
// as "__proto__" or "constructor" from meaning anything to JavaScript).
func domainSets(list []string) (exact, wild string, err error) {
	var ex, wi []string
	for _, d := range list {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		target := &ex
		if rest, ok := strings.CutPrefix(d, "*."); ok {
			d, target = rest, &wi
		}
		if !validName(d) {
			return "", "", fmt.Errorf("PAC: domain %q is not a valid host name", d)
		}
		*target = append(*target, "."+d)
	}
	return jsonSet(ex), jsonSet(wi), nil
}

func validName(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for _, c := range d {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func jsonSet(keys []string) string {
	sort.Strings(keys)
	if len(keys) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteString("{\n")
	prev := ""
	for _, k := range keys {
		if k == prev {
			continue
		}
		prev = k
		q, _ := json.Marshal(k)
		b.WriteString("  ")
		b.Write(q)
		b.WriteString(": 1,\n")
	}
	s := strings.TrimSuffix(b.String(), ",\n")
	return s + "\n}"
}
