package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/tlsutil"
)

func parsePort(v string) (uint16, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s is not a port (1-65535)", quote(v))
	}
	return uint16(n), nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean (use true or false; yes/no, on/off, 1/0 also work)", quote(v))
}

// splitList splits a comma list, trimming spaces and dropping empty entries;
// unbracket strips [ ] around IPv6 literals.
func splitList(v string, unbracket bool) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if unbracket && strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			s = s[1 : len(s)-1]
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func setPin(c *Config, v string) error {
	pin, err := tlsutil.ParsePin(v)
	if err != nil {
		return fmt.Errorf("%s: %v", quote(v), err)
	}
	c.TLSPin = pin
	return nil
}

func getPin(c *Config) string { return hex.EncodeToString(c.TLSPin) }

func setAllow(c *Config, v string) error {
	var prefixes []netip.Prefix
	var hostPorts []netip.AddrPort
	var bad []string
	for _, s := range splitList(v, false) {
		if p, err := netip.ParsePrefix(s); err == nil {
			prefixes = append(prefixes, p.Masked())
		} else if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && a.Zone() == "" {
			prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
		} else if ap, err := netip.ParseAddrPort(s); err == nil && ap.Port() != 0 && ap.Addr().Zone() == "" {
			hostPorts = append(hostPorts, ap)
		} else {
			bad = append(bad, quote(s))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: want a comma list of CIDRs (192.0.2.0/24, 2001:db8::/32), IPs and ip:port ([2001:db8::1]:80); names are not allowed",
			strings.Join(bad, ", "))
	}
	c.AllowDestinations, c.AllowHostPorts = prefixes, hostPorts
	return nil
}

func getAllow(c *Config) string {
	var parts []string
	for _, p := range c.AllowDestinations {
		parts = append(parts, p.String())
	}
	for _, ap := range c.AllowHostPorts {
		parts = append(parts, ap.String())
	}
	return strings.Join(parts, ",")
}

func setKeepalive(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3600 {
		return fmt.Errorf("%s is not a number of seconds (a whole number from 1 to 3600)", quote(v))
	}
	c.KeepaliveInterval = time.Duration(n) * time.Second
	return nil
}

func setMTU(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s is not a number (MTU 576-9000)", quote(v))
	}
	c.MTU = n
	return nil
}

// checkHost accepts an IP literal or a DNS hostname.
func checkHost(h string) error {
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	if len(h) > 253 {
		return errors.New("hostname longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%s is neither an IP address nor a hostname", quote(h))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("%s is neither an IP address nor a hostname", quote(h))
			}
		}
	}
	return nil
}

// checkListenAddr accepts host:port where host is empty or an IP literal and
// port is 0-65535 (0: any free port).
func checkListenAddr(s string) (netip.Addr, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s is not host:port (IPv6 in brackets: [::]:443)", quote(s))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return netip.Addr{}, fmt.Errorf("%s: %s is not a port (0-65535)", quote(s), quote(port))
	}
	if host == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil && host != "localhost" {
		return netip.Addr{}, fmt.Errorf("%s: listen host must be an IP address or empty", quote(s))
	}
	if host == "localhost" {
		a = netip.MustParseAddr("127.0.0.1")
	}
	return a, nil
}

// checkDNS accepts ip, ip:port, [v6]:port, tls://host[:port], https://...
func checkDNS(v string) error {
	hint := "want ip, ip:port, [ipv6]:port, tls://host[:port] or https://host/path (empty: system resolver)"
	switch {
	case v == "":
		return nil
	case strings.HasPrefix(v, "tls://"):
		hp := strings.TrimPrefix(v, "tls://")
		host := hp
		if h, p, err := net.SplitHostPort(hp); err == nil {
			if _, err := parsePort(p); err != nil {
				return fmt.Errorf("%s: bad port; %s", quote(v), hint)
			}
			host = h
		}
		if host == "" || checkHost(strings.Trim(host, "[]")) != nil {
			return fmt.Errorf("%s: bad host; %s", quote(v), hint)
		}
		return nil
	case strings.HasPrefix(v, "https://"):
		if u, err := url.Parse(v); err != nil || u.Host == "" || strings.ContainsAny(v, " \t") {
			return fmt.Errorf("%s: %s", quote(v), hint)
		}
		return nil
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return nil
	}
	if ap, err := netip.ParseAddrPort(v); err == nil && ap.Port() != 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", quote(v), hint)
}
