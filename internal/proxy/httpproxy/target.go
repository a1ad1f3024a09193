package httpproxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// errTarget is wrapped by every request-target error.
var errTarget = errors.New("bad request target")

// parseAuthority turns an authority ("host:port", "[v6]:port", or "host"
// when defPort is not empty) into the "host:port" handed to Dial. Names stay
// names; IPv6 literals must be bracketed and come out canonical.
func parseAuthority(s, defPort string) (string, error) {
	host, port, err := splitAuthority(s)
	if err != nil {
		return "", err
	}
	if port == "" {
		if defPort == "" {
			return "", fmt.Errorf("%w: %q has no port", errTarget, s)
		}
		port = defPort
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || len(port) > 5 {
		return "", fmt.Errorf("%w: %q: port %q is not 1-65535", errTarget, s, port)
	}
	if strings.HasPrefix(host, "[") {
		ip, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", fmt.Errorf("%w: %q: %s is not an IPv6 address", errTarget, s, host)
		}
		host = ip.String()
	} else if err := checkName(host); err != nil {
		return "", fmt.Errorf("%w: %q: %v", errTarget, s, err)
	}
	return net.JoinHostPort(host, port), nil
}

// splitAuthority splits s at its port colon; host keeps its brackets.
func splitAuthority(s string) (host, port string, err error) {
	if s == "" {
		return "", "", fmt.Errorf("%w: empty authority", errTarget)
	}
	rest := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%w: %q: missing ]", errTarget, s)
		}
		host, rest = s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", fmt.Errorf("%w: %q: junk after ]", errTarget, s)
		}
		return host, rest[1:], nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", nil
	case 1:
		i := strings.IndexByte(s, ':')
		return s[:i], s[i+1:], nil
	}
	return "", "", fmt.Errorf("%w: %q: IPv6 addresses need [brackets]", errTarget, s)
}

// checkName accepts IPv4 literals and plausible DNS names.
func checkName(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("host is empty or longer than 253 bytes")
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_'
		if !ok {
			return fmt.Errorf("host has character %q", c)
		}
	}
	return nil
}
