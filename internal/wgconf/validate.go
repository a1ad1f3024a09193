package wgconf

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Validate checks what WireGuard would reject: one [Interface] with a
// PrivateKey, each [Peer] with a PublicKey, keys that are base64 of 32 bytes,
// addresses and AllowedIPs that parse, sane numbers. Errors name the line
// and key, never a key's value.
func (c *Conf) Validate() error {
	var errs []error
	if len(c.sectionsNamed("interface")) != 1 {
		errs = append(errs, fmt.Errorf("want exactly one [Interface] section"))
	}
	for _, s := range c.sections() {
		if s.name != "interface" && s.name != "peer" {
			continue
		}
		required := map[string]string{"interface": "privatekey", "peer": "publickey"}[s.name]
		found := false
		for i := s.head + 1; i < s.stop; i++ {
			l := c.lines[i]
			if l.kind != kindKey {
				continue
			}
			k := strings.ToLower(l.name)
			found = found || k == required
			if err := checkValue(k, l.value); err != nil {
				errs = append(errs, fmt.Errorf("line %d: %s: %w", i+1, l.name, err))
			}
		}
		if !found {
			errs = append(errs, fmt.Errorf("line %d: [%s] has no %s", s.head+1, c.lines[s.head].name, required))
		}
	}
	return errors.Join(errs...)
}

func checkValue(key, v string) error {
	switch key {
	case "privatekey", "publickey", "presharedkey":
		if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) != 32 {
			return errors.New("not a base64-encoded 32-byte key")
		}
	case "address", "allowedips":
		for _, f := range splitList(v) {
			if _, _, err := parseAllowed(f); err != nil {
				return fmt.Errorf("%q is not an address or CIDR", f)
			}
		}
	case "mtu":
		return checkInt(v, 576, 65535)
	case "persistentkeepalive":
		if v == "off" {
			return nil
		}
		return checkInt(v, 0, 65535)
	case "listenport":
		return checkInt(v, 0, 65535)
	case "endpoint":
		i := strings.LastIndex(v, ":")
		if i <= 0 {
			return fmt.Errorf("%q: want host:port", v)
		}
		return checkInt(v[i+1:], 1, 65535)
	}
	return nil
}

func checkInt(v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("%q is not a number from %d to %d", v, lo, hi)
	}
	return nil
}
