package domains

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxNameLen is the longest domain name in presentation form (RFC 1035).
const maxNameLen = 253

// idnaProfile maps user input (full-width dots, upper case, Unicode) to
// punycode without rejecting underscores, which real host names carry.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.BidiRule(),
)

// Normalize turns one user-supplied entry into the list's canonical form:
// a lower-case punycode name without scheme, user info, path, port, query,
// fragment, surrounding whitespace or trailing dot. A leading "*." (or a bare
// leading ".") makes a wildcard, returned as "*.example.com". IP literals,
// single-label names and malformed names are errors.
func Normalize(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	host := stripURL(strings.TrimSpace(s))
	wildcard := false
	switch {
	case strings.HasPrefix(host, "*."):
		wildcard, host = true, host[2:]
	case strings.HasPrefix(host, ".") && !strings.HasPrefix(host, ".."):
		wildcard, host = true, host[1:]
	}
	for _, dot := range []string{".", "\u3002", "\uff0e", "\uff61"} { // UTS 46 maps the other three full stops to "."
		if h, ok := strings.CutSuffix(host, dot); ok {
			host = h
			break
		}
	}
	if host == "" {
		return "", errors.New("empty domain")
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return "", fmt.Errorf("%q is an IP address, not a domain", host)
	}
	ascii, err := idnaProfile.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid domain: %v", host, err)
	}
	ascii = strings.ToLower(ascii)
	if _, err := idnaProfile.ToASCII(ascii); err != nil { // punycode that does not decode back
		return "", fmt.Errorf("%q is not a valid domain: %v", host, err)
	}
	if err := checkName(ascii, wildcard); err != nil {
		return "", fmt.Errorf("%q is not a valid domain: %w", host, err)
	}
	if wildcard {
		return "*." + ascii, nil
	}
	return ascii, nil
}

// stripURL removes everything around the host part of s: a scheme, user info,
// a path, query or fragment, and a port.
func stripURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#\\"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") { // [v6]:port stays an IP literal, rejected later
		if i := strings.IndexByte(s, ']'); i >= 0 {
			return s[:i+1]
		}
		return s
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		s = s[:i]
	}
	return s
}

// checkName validates an ASCII (punycode) name label by label.
func checkName(name string, wildcard bool) error {
	if len(name) > maxNameLen-2 && wildcard || len(name) > maxNameLen {
		return fmt.Errorf("longer than %d characters", maxNameLen)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 && !wildcard {
		return errors.New("a single label; give the full name, e.g. example.com")
	}
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return err
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return errors.New("the last label is all digits")
	}
	return nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > 63:
		return fmt.Errorf("label %q is longer than 63 characters", l)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %q has the character %q", l, c)
		}
	}
	return nil
}

// SplitEntries splits pasted text into entries on commas, semicolons and
// whitespace (including full-width separators), dropping empty pieces.
func SplitEntries(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ',', ';', '，', '；', '、', ' ', '\t', '\n', '\r', '\v', '\f', '\u3000':
			return true
		}
		return false
	})
}
