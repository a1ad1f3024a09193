package backup

import (
	"strings"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/sysedit"
	"github.com/autovpn/autovpn/internal/wgconf"
)

// secretMask replaces a secret value in a diff, as `config show` does.
const secretMask = wgconf.SecretMask

// maskedDiff is a unified diff of changes like sysedit's Tx.Diff, with the
// values of secrets masked in the files of kinds that hold them (kinds maps
// a path to its kind). A changed secret still shows as a - and a + line.
func maskedDiff(changes []sysedit.Change, kinds map[string]string) string {
	var b strings.Builder
	for _, c := range changes {
		old := c.Path
		if c.Created {
			old = "/dev/null"
		}
		d := sysedit.Unified(old, c.Path+" (new)", c.Old, c.New)
		var mask func(string) string
		switch kinds[c.Path] {
		case KindConfig:
			mask = maskConfigLine
		case KindWG:
			mask = wgconf.MaskSecret
		}
		if mask == nil {
			b.WriteString(d)
			continue
		}
		b.WriteString(sysedit.MaskDiff(d, mask))
	}
	return b.String()
}

// maskConfigLine masks the value of a config.env line whose key holds a
// secret (config.IsSecret), also in a commented-out line or after export.
func maskConfigLine(line string) string {
	s := strings.TrimLeft(line, " \t")
	s = strings.TrimLeft(strings.TrimPrefix(s, "#"), " \t")
	if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	key, val, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" || strings.ContainsAny(key, " \t") || !config.IsSecret(key) || strings.TrimSpace(val) == "" {
		return line
	}
	return line[:len(line)-len(val)] + secretMask
}
