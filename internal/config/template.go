package config

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
)

// InitOptions are the values `config init` puts into a fresh config.env.
type InitOptions struct {
	Prefix     string // "" = a fresh random secret
	ServerHost string // SERVER_IP (an IPv6 literal goes to SERVER_IP_V6 instead)
	TLS        bool
	TLSCert    string // TLS_CERT as written (relative to the file's folder)
	TLSKey     string // TLS_KEY
	TLSPin     string // TLS_PIN, hex
}

// NewPrefix returns a fresh random PREFIX: 32 URL-safe characters (192 bits).
func NewPrefix() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

const templateHeader = `# autovpn configuration: KEY=VALUE lines, # comments, optional quotes.
# Every key can be overridden by the environment variable AUTOVPN_<KEY>.
# An empty value means the default. Relative paths are relative to this file's folder.
# PREFIX is a secret: share this file only with your own clients.
`

// Template returns a commented config.env listing every key with its
// default, with the values of opts filled in.
func Template(opts InitOptions) []byte {
	vals := map[string]string{"PREFIX": opts.Prefix}
	if vals["PREFIX"] == "" {
		vals["PREFIX"] = NewPrefix()
	}
	if h := strings.Trim(opts.ServerHost, "[]"); h != "" {
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() && !a.Is4In6() {
			vals["SERVER_IP_V6"] = h
		} else {
			vals["SERVER_IP"] = h
		}
	}
	if opts.TLS {
		vals["TLS"] = "true"
		vals["TLS_CERT"], vals["TLS_KEY"], vals["TLS_PIN"] = opts.TLSCert, opts.TLSKey, opts.TLSPin
	}
	var b bytes.Buffer
	b.WriteString(templateHeader)
	group := ""
	for _, k := range keys {
		if k.Group != group {
			group = k.Group
			fmt.Fprintf(&b, "\n# --- %s ---\n", group)
		}
		v, ok := vals[k.Name]
		if !ok {
			v = k.Default
		}
		enc, err := encodeValue(v)
		if err != nil {
			enc = ""
		}
		def := ""
		if k.Default != "" {
			def = " (default: " + k.Default + ")"
		}
		fmt.Fprintf(&b, "# %s%s\n%s=%s\n", k.Help, def, k.Name, enc)
	}
	return b.Bytes()
}
