package config

import (
	"net/netip"
	"os"
	"strings"

	"github.com/autovpn/autovpn/internal/netx"
)

// MinPrefixLen is the shortest PREFIX accepted.
const MinPrefixLen = 8

// Validate checks the whole Config for role and returns every problem at
// once (joined *Error values). It also recomputes Policy and Warnings.
func (c *Config) Validate(role Role) error {
	c.Policy = netx.PolicyFromSwitches(c.EnableIPv6, c.PreferIPv6, c.Fallback)
	c.Warnings = append([]string(nil), c.parseWarn...)
	v := &validator{c: c, role: role}
	v.ports()
	v.prefix()
	v.serverAddrs()
	v.listen()
	v.credentials()
	v.tls()
	v.misc()
	v.inertIPv6()
	return joinSorted(v.errs)
}

type validator struct {
	c    *Config
	role Role
	errs []*Error
}

func (v *validator) add(key, format string, a ...any) {
	v.errs = append(v.errs, v.c.errAt(key, format, a...))
}

func (v *validator) warn(key, format string, a ...any) {
	v.c.Warnings = append(v.c.Warnings, v.c.errAt(key, format, a...).Error())
}

func (v *validator) ports() {
	c := v.c
	for _, p := range []struct {
		key  string
		port uint16
	}{{"SERVER_PORT", c.ServerPort}, {"SERVER_RESTRICT_PORT", c.ServerRestrictPort},
		{"WSTUNNEL_PORT", c.WstunnelPort}, {"SOCKS5_PORT", c.SOCKS5Port}, {"HTTP_PORT", c.HTTPPort}} {
		if p.port == 0 {
			v.add(p.key, "port 0 is not a port (1-65535)")
		}
	}
}

// prefix never echoes the value: it is the server's secret.
func (v *validator) prefix() {
	p := v.c.Prefix
	switch {
	case p == "":
		v.add("PREFIX", "missing or empty; set a secret path of at least %d letters and digits (`autovpn config init` writes a random one)", MinPrefixLen)
	case len(p) < MinPrefixLen:
		v.add("PREFIX", "too short (%d characters); use at least %d, e.g. a fresh one from `autovpn config init`", len(p), MinPrefixLen)
	case strings.IndexFunc(p, func(r rune) bool { return !isPrefixChar(r) }) >= 0:
		v.add("PREFIX", "may hold only letters, digits and - _ . ~ (it is a URL path)")
	}
}

func isPrefixChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r)
}

// serverAddrs checks SERVER_IP and SERVER_IP_V6, and that a client can reach
// the server with the families its policy allows.
func (v *validator) serverAddrs() {
	c := v.c
	canV4, canV6 := false, len(c.ServerHostsV6) > 0
	for _, h := range c.ServerHosts {
		if err := checkHost(h); err != nil {
			v.add("SERVER_IP", "%v; want an IP address or hostname (comma list for a pool)", err)
			continue
		}
		a, err := netip.ParseAddr(h)
		isName := err != nil
		canV4 = canV4 || isName || a.Unmap().Is4()
		canV6 = canV6 || isName || (a.Is6() && !a.Is4In6())
	}
	for _, h := range c.ServerHostsV6 {
		a, err := netip.ParseAddr(h)
		switch {
		case err != nil:
			v.add("SERVER_IP_V6", "%s is not an IPv6 address (hostnames go in SERVER_IP)", quote(h))
		case a.Is4() || a.Is4In6():
			v.add("SERVER_IP_V6", "%s is an IPv4 address; SERVER_IP_V6 takes IPv6 addresses (put it in SERVER_IP)", quote(h))
		}
	}
	if v.role != RoleClient {
		return
	}
	switch {
	case len(c.ServerHosts) == 0 && len(c.ServerHostsV6) == 0:
		v.add("SERVER_IP", "the client needs the server's address: set SERVER_IP (IPv4 address or hostname) or SERVER_IP_V6")
	case c.Policy == netx.IPv6Only && !canV6:
		v.add("PREFER_IPV6", "IPv6 is preferred with IPV6_FALLBACK=false, but there is no IPv6 way to the server: set SERVER_IP_V6, use a hostname in SERVER_IP, or set IPV6_FALLBACK=true")
	case c.Policy == netx.IPv4Only && !canV4:
		v.add("SERVER_IP", "only IPv4 may be used (ENABLE_IPV6=false or IPV6_FALLBACK=false) but SERVER_IP has no IPv4 address or hostname: add one, or allow IPv6")
	}
}

func (v *validator) listen() {
	c := v.c
	if a, err := netip.ParseAddr(c.ListenV4); err != nil || !a.Is4() {
		v.add("LISTEN_V4", "%s is not an IPv4 address (default 127.0.0.1)", quote(c.ListenV4))
	}
	if a, err := netip.ParseAddr(c.ListenV6); err != nil || !a.Is6() || a.Is4In6() {
		v.add("LISTEN_V6", "%s is not an IPv6 address (default ::1)", quote(c.ListenV6))
	}
	for _, kv := range []KV{{Key: "ADMIN_ADDR", Value: c.AdminAddr}, {Key: "METRICS_ADDR", Value: c.MetricsAddr}} {
		if kv.Value != "" {
			if _, err := checkListenAddr(kv.Value); err != nil {
				v.add(kv.Key, "%v", err)
			}
		}
	}
	v4, v6 := false, false
	for _, s := range c.ServerListen {
		a, err := checkListenAddr(s)
		if err != nil {
			v.add("SERVER_LISTEN", "%v", err)
			continue
		}
		// An unspecified IPv6 address ([::]) accepts IPv4 too (dual-stack socket).
		v4 = v4 || !a.IsValid() || a.Unmap().Is4() || a == netip.IPv6Unspecified()
		v6 = v6 || !a.IsValid() || (a.Is6() && !a.Is4In6())
	}
	if v.role == RoleServer && len(c.ServerListen) > 0 && (!v4 || (!v6 && c.EnableIPv6)) {
		v.warn("SERVER_LISTEN", "does not accept both IPv4 and IPv6; clients of the missing family cannot connect (use [::]:%d)", c.ServerPort)
	}
}

func (v *validator) credentials() {
	c := v.c
	switch {
	case c.User != "" && c.Pass == "":
		v.add("USER", "is set but PASS is empty; set both USER and PASS, or neither")
	case c.User == "" && c.Pass != "":
		v.add("PASS", "is set but USER is empty; set both USER and PASS, or neither")
	}
	if v.role != RoleClient || c.User != "" || c.Pass != "" {
		return
	}
	if a, err := netip.ParseAddr(c.ListenV4); err == nil && !a.IsLoopback() {
		v.add("LISTEN_V4", "%s lets other hosts use the proxies; set USER and PASS, or listen on 127.0.0.1", quote(c.ListenV4))
	}
	if a, err := netip.ParseAddr(c.ListenV6); err == nil && !a.IsLoopback() && c.EnableIPv6 {
		v.add("LISTEN_V6", "%s lets other hosts use the proxies; set USER and PASS, or listen on ::1", quote(c.ListenV6))
	}
}

func (v *validator) tls() {
	c := v.c
	if len(c.TLSPin) != 0 && len(c.TLSPin) != 32 {
		v.add("TLS_PIN", "must be a SHA-256 fingerprint (32 bytes)")
	}
	if !c.TLS {
		if len(c.TLSPin) != 0 && v.role == RoleClient {
			v.warn("TLS_PIN", "is ignored because TLS=false")
		}
		return
	}
	if v.role != RoleServer {
		return
	}
	for _, kv := range []KV{{Key: "TLS_CERT", Value: c.TLSCert}, {Key: "TLS_KEY", Value: c.TLSKey}} {
		if kv.Value == "" {
			v.add(kv.Key, "TLS=true needs TLS_CERT and TLS_KEY; `autovpn config init --tls` makes a self-signed pair")
		} else if _, err := os.Stat(kv.Value); err != nil {
			v.add(kv.Key, "%v (relative paths are relative to the config file's folder)", err)
		}
	}
}

func (v *validator) misc() {
	c := v.c
	if c.KeepaliveInterval <= 0 {
		v.add("KEEPALIVE_INTERVAL", "must be a positive number of seconds")
	}
	if c.MTU < 576 || c.MTU > 9000 {
		v.add("MTU_SIZE", "%d is out of range (576-9000; WireGuard's usual is 1420)", c.MTU)
	}
	for _, kv := range []KV{{Key: "PRIMARY_DNS", Value: c.PrimaryDNS}, {Key: "SECONDARY_DNS", Value: c.SecondaryDNS}} {
		if err := checkDNS(kv.Value); err != nil {
			v.add(kv.Key, "%v", err)
		}
	}
	if c.WGLocalIP != "" {
		for _, s := range splitList(c.WGLocalIP, false) {
			if _, err := netip.ParsePrefix(s); err != nil {
				if _, err := netip.ParseAddr(s); err != nil {
					v.add("WG_LOCAL_IP", "%s is not an IP address or CIDR", quote(s))
				}
			}
		}
	}
}

// inertIPv6 warns once when IPv6 keys are set but ENABLE_IPV6=false.
func (v *validator) inertIPv6() {
	c := v.c
	if c.EnableIPv6 {
		return
	}
	var set []string
	if len(c.ServerHostsV6) > 0 {
		set = append(set, "SERVER_IP_V6")
	}
	if c.PreferIPv6 {
		set = append(set, "PREFER_IPV6")
	}
	if c.ListenV6 != "::1" {
		set = append(set, "LISTEN_V6")
	}
	if len(set) > 0 {
		v.warn("ENABLE_IPV6", "is false, so %s %s ignored", strings.Join(set, ", "), plural(len(set), "is", "are"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
