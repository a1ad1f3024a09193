package config

import (
	"strconv"
	"strings"
)

// keyDef describes one config.env key.
type keyDef struct {
	Name    string
	Aliases []string // the older toolkit's names for it
	Default string   // as written in the template ("" = none)
	Group   string   // template section
	Help    string   // one line for the template
	Secret  bool     // masked in show, never echoed in errors
	Path    bool     // relative values are relative to the config's folder
	// EmptyIsValue: when true an empty value is itself the value (ADMIN_ADDR=
	// turns the admin API off); otherwise an empty value means the default.
	EmptyIsValue bool

	set func(c *Config, v string) error // parse v into c
	get func(c *Config) string          // canonical text of c's value
}

// keys lists every key in template order.
var keys = []*keyDef{
	{Name: "SERVER_IP", Group: "Server", Help: "server IPv4 address or hostname (A + AAAA); a comma list makes a pool",
		set: func(c *Config, v string) error { c.ServerHosts = splitList(v, true); return nil },
		get: func(c *Config) string { return strings.Join(c.ServerHosts, ",") }},
	{Name: "SERVER_IP_V6", Aliases: []string{"SERVER_IPV6"}, Group: "Server", Help: "server IPv6 address(es), comma list",
		set: func(c *Config, v string) error { c.ServerHostsV6 = splitList(v, true); return nil },
		get: func(c *Config) string { return strings.Join(c.ServerHostsV6, ",") }},
	portKey("SERVER_PORT", "443", "Server", "server port", func(c *Config) *uint16 { return &c.ServerPort }),
	{Name: "PREFIX", Group: "Server", Help: "secret WebSocket path prefix (letters, digits, - _ . ~; 8+ chars); keep it secret", Secret: true,
		set: func(c *Config, v string) error { c.Prefix = strings.TrimLeft(v, "/"); return nil },
		get: func(c *Config) string { return c.Prefix }},
	boolKey("TLS", "false", "Server", "wss:// instead of ws://", func(c *Config) *bool { return &c.TLS }),
	pathKey("TLS_CERT", "", "Server", "server certificate (PEM)", func(c *Config) *string { return &c.TLSCert }),
	pathKey("TLS_KEY", "", "Server", "server private key (PEM)", func(c *Config) *string { return &c.TLSKey }),
	{Name: "TLS_PIN", Group: "Server", Help: "client: SHA-256 fingerprint of the server certificate (hex, colons optional)",
		set: setPin, get: getPin},
	{Name: "SERVER_LISTEN", Group: "Server", Help: "server listen addresses, comma list (empty: [::]:SERVER_PORT, both families)",
		set: func(c *Config, v string) error { c.ServerListen = splitList(v, false); return nil },
		get: func(c *Config) string { return strings.Join(c.ServerListen, ",") }},
	portKey("SERVER_RESTRICT_PORT", "8443", "Server", "UDP port on the server's 127.0.0.1 for the UDP forward (WireGuard)", func(c *Config) *uint16 { return &c.ServerRestrictPort }),
	{Name: "ALLOW_DESTINATIONS", Group: "Server", Help: "server: extra allowed destinations, comma list of CIDRs, IPs and ip:port",
		set: setAllow, get: getAllow},
	{Name: "METRICS_ADDR", Group: "Server", Help: "server: /metrics and /healthz address (empty: off)",
		set: func(c *Config, v string) error { c.MetricsAddr = v; return nil },
		get: func(c *Config) string { return c.MetricsAddr }},

	portKey("WSTUNNEL_PORT", "1081", "Client", "local UDP forward port (WireGuard Endpoint)", func(c *Config) *uint16 { return &c.WstunnelPort }),
	portKey("SOCKS5_PORT", "1082", "Client", "SOCKS5 proxy port", func(c *Config) *uint16 { return &c.SOCKS5Port }),
	portKey("HTTP_PORT", "8081", "Client", "HTTP proxy port (also serves /proxy.pac)", func(c *Config) *uint16 { return &c.HTTPPort }),
	strKey("USER", "", "Client", "proxy user name; USER and PASS are required if a proxy listens beyond loopback", func(c *Config) *string { return &c.User }),
	{Name: "PASS", Group: "Client", Help: "proxy password", Secret: true,
		set: func(c *Config, v string) error { c.Pass = v; return nil },
		get: func(c *Config) string { return c.Pass }},
	strKey("LISTEN_V4", "127.0.0.1", "Client", "client listen address, IPv4", func(c *Config) *string { return &c.ListenV4 }),
	{Name: "LISTEN_V6", Aliases: []string{"IPv6_LISTEN_ADDR", "IPv6_PROXY_ADDR"}, Default: "::1", Group: "Client", Help: "client listen address, IPv6",
		set: func(c *Config, v string) error { c.ListenV6 = strings.Trim(v, "[]"); return nil },
		get: func(c *Config) string { return c.ListenV6 }},
	{Name: "ADMIN_ADDR", Default: "127.0.0.1:8090", Group: "Client", Help: "status API, dashboard, /metrics, /healthz (empty: off)", EmptyIsValue: true,
		set: func(c *Config, v string) error { c.AdminAddr = v; return nil },
		get: func(c *Config) string { return c.AdminAddr }},

	boolKey("ENABLE_IPV6", "true", "IPv6", "use IPv6 at all (listeners, tunnel, AAAA)", func(c *Config) *bool { return &c.EnableIPv6 }, "IPv6_ENABLE"),
	boolKey("PREFER_IPV6", "false", "IPv6", "try IPv6 first when both families work", func(c *Config) *bool { return &c.PreferIPv6 }, "IPv6_PREFER"),
	boolKey("IPV6_FALLBACK", "true", "IPv6", "fall back to the other family when the preferred one fails", func(c *Config) *bool { return &c.Fallback }, "IPv6_FALLBACK"),

	dnsKey("PRIMARY_DNS", "DNS", "resolver: ip, ip:port, [v6]:port, tls://host[:port], https://... (empty: system)", func(c *Config) *string { return &c.PrimaryDNS }),
	dnsKey("SECONDARY_DNS", "DNS", "second resolver, same forms (empty: none)", func(c *Config) *string { return &c.SecondaryDNS }),
	boolKey("DNS_VIA_SERVER", "true", "DNS", "`domains resolve` asks the server (clean answers)", func(c *Config) *bool { return &c.DNSViaServer }),

	{Name: "KEEPALIVE_INTERVAL", Default: "25", Group: "WireGuard", Help: "seconds between tunnel pings; also WireGuard PersistentKeepalive",
		set: setKeepalive, get: func(c *Config) string { return strconv.Itoa(int(c.KeepaliveInterval.Seconds())) }},
	{Name: "MTU_SIZE", Default: "1420", Group: "WireGuard", Help: "WireGuard MTU written by `wg sync` (576-9000)",
		set: setMTU, get: func(c *Config) string { return strconv.Itoa(c.MTU) }},
	pathKey("WG_CONF_PATH", "", "WireGuard", "WireGuard client config to sync", func(c *Config) *string { return &c.WGConfPath }),
	strKey("WG_INTERFACE", "", "WireGuard", "WireGuard interface name", func(c *Config) *string { return &c.WGInterface }),
	strKey("WG_LOCAL_IP", "", "WireGuard", "WireGuard tunnel address(es) of this client", func(c *Config) *string { return &c.WGLocalIP }),

	pathKey("DOMAINS_FILE", "routes/domains.txt", "Files", "domain list", func(c *Config) *string { return &c.DomainsFile }),
	pathKey("IP_LIST_FILE", "routes/ips.txt", "Files", "resolved IP list", func(c *Config) *string { return &c.IPListFile }),
	pathKey("DIRECT_DOMAINS_FILE", "routes/direct.txt", "Files", "domains the bypass PAC mode sends direct", func(c *Config) *string { return &c.DirectDomainsFile }),
	pathKey("HOSTS_FILE", "", "Files", "hosts file to manage (empty: the OS hosts file)", func(c *Config) *string { return &c.HostsFile }),
	pathKey("PAC_DIR", "pac", "Files", "where PAC files go", func(c *Config) *string { return &c.PACDir }),
	pathKey("BACKUP_DIR", "backups", "Files", "where backups go", func(c *Config) *string { return &c.BackupDir }),
}

// byName maps every upper-cased key name and alias to its definition. Keys
// match case-insensitively, which also makes the older IPv6_FALLBACK the
// same key as IPV6_FALLBACK.
var byName = func() map[string]*keyDef {
	m := map[string]*keyDef{}
	for _, k := range keys {
		m[strings.ToUpper(k.Name)] = k
		for _, a := range k.Aliases {
			m[strings.ToUpper(a)] = k
		}
	}
	return m
}()

func lookupKey(name string) *keyDef { return byName[strings.ToUpper(name)] }

// CanonicalKey returns the key's canonical name (aliases and any case
// accepted) and whether it is a known key.
func CanonicalKey(name string) (string, bool) {
	if k := lookupKey(name); k != nil {
		return k.Name, true
	}
	return "", false
}

// Keys returns every canonical key name in template order.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

// IsSecret reports whether a key's value must never be shown: autovpn's own
// secrets (PREFIX, PASS) and secrets of other tools (SSH_PASSWORD...).
func IsSecret(name string) bool {
	if k := lookupKey(name); k != nil {
		return k.Secret
	}
	return isForeignSecret(name)
}

// isForeignSecret matches keys that hold secrets autovpn never uses.
func isForeignSecret(name string) bool {
	u := strings.ToUpper(name)
	if u == "SSH_PASS" || strings.HasSuffix(u, "_PASS") || strings.HasSuffix(u, "_PWD") {
		return true
	}
	for _, w := range []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "PRIVATE_KEY", "PRIVATEKEY", "PRESHARED", "PSK", "API_KEY", "APIKEY"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

func portKey(name, def, group, help string, f func(*Config) *uint16) *keyDef {
	return &keyDef{Name: name, Default: def, Group: group, Help: help,
		set: func(c *Config, v string) error {
			p, err := parsePort(v)
			if err == nil {
				*f(c) = p
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(int(*f(c))) }}
}

func boolKey(name, def, group, help string, f func(*Config) *bool, aliases ...string) *keyDef {
	return &keyDef{Name: name, Aliases: aliases, Default: def, Group: group, Help: help,
		set: func(c *Config, v string) error {
			b, err := parseBool(v)
			if err == nil {
				*f(c) = b
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*f(c)) }}
}

func strKey(name, def, group, help string, f func(*Config) *string) *keyDef {
	return &keyDef{Name: name, Default: def, Group: group, Help: help,
		set: func(c *Config, v string) error { *f(c) = v; return nil },
		get: func(c *Config) string { return *f(c) }}
}

func pathKey(name, def, group, help string, f func(*Config) *string) *keyDef {
	k := strKey(name, def, group, help, f)
	k.Path = true
	return k
}

func dnsKey(name, group, help string, f func(*Config) *string) *keyDef {
	return &keyDef{Name: name, Group: group, Help: help,
		set: func(c *Config, v string) error {
			if strings.EqualFold(v, "system") {
				v = ""
			}
			*f(c) = v
			return nil
		},
		get: func(c *Config) string { return *f(c) }}
}
