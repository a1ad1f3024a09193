package wgconf

import "strings"

// SecretMask stands for a secret's value wherever a config is shown.
const SecretMask = "******** (secret, not shown)"

// MaskSecret masks the value of a PrivateKey or PresharedKey line (also a
// commented-out one) and returns any other line as it is: for the diffs that
// `wg sync --dry-run` and `rollback --dry-run` print.
func MaskSecret(line string) string {
	key, val, ok := strings.Cut(line, "=")
	if !ok || strings.TrimSpace(val) == "" {
		return line
	}
	switch strings.ToLower(strings.TrimLeft(strings.TrimSpace(key), "#; \t")) {
	case "privatekey", "presharedkey":
		return line[:len(line)-len(val)] + " " + SecretMask
	}
	return line
}
