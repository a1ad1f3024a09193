// Package config reads, validates and edits autovpn's config.env: KEY=VALUE
// lines, the older toolkit's aliases, AUTOVPN_<KEY> environment overrides,
// defaults, and one typed Config that the rest of the program uses.
package config

import (
	"net/netip"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// Config is the validated, typed configuration. Zero values are never used
// directly: Load fills every field with its default first.
type Config struct {
	Path string // the config file it was read from ("" when none)
	Dir  string // folder that relative paths are resolved against

	// Server addresses as the client reaches them. Each entry is an IP
	// literal or a hostname (resolved A + AAAA by the client).
	ServerHosts   []string // SERVER_IP (comma list)
	ServerHostsV6 []string // SERVER_IP_V6 (comma list, IPv6 literals only)
	ServerPort    uint16   // SERVER_PORT, default 443

	Prefix string // PREFIX, the secret WebSocket path prefix (required, secret)

	TLS     bool   // TLS: wss:// instead of ws://
	TLSCert string // TLS_CERT (absolute path after Load)
	TLSKey  string // TLS_KEY (absolute path after Load)
	TLSPin  []byte // TLS_PIN decoded: SHA-256 of the server's DER certificate (32 bytes) or nil

	ServerListen       []string         // SERVER_LISTEN host:port list; default "[::]:SERVER_PORT"
	ServerRestrictPort uint16           // SERVER_RESTRICT_PORT, default 8443
	AllowDestinations  []netip.Prefix   // ALLOW_DESTINATIONS CIDRs (a bare IP becomes /32 or /128)
	AllowHostPorts     []netip.AddrPort // ALLOW_DESTINATIONS host:port entries

	WstunnelPort uint16 // WSTUNNEL_PORT, default 1081 (client UDP forward)
	SOCKS5Port   uint16 // SOCKS5_PORT, default 1082
	HTTPPort     uint16 // HTTP_PORT, default 8081
	User         string // USER (proxy credentials)
	Pass         string // PASS (secret)

	EnableIPv6 bool        // ENABLE_IPV6, default true
	PreferIPv6 bool        // PREFER_IPV6, default false
	Fallback   bool        // IPV6_FALLBACK, default true
	Policy     netx.Policy // derived from the three switches above

	ListenV4    string // LISTEN_V4, default 127.0.0.1
	ListenV6    string // LISTEN_V6, default ::1
	AdminAddr   string // ADMIN_ADDR, default 127.0.0.1:8090 ("" disables)
	MetricsAddr string // METRICS_ADDR, server; "" disables

	PrimaryDNS   string // PRIMARY_DNS ("" = system)
	SecondaryDNS string // SECONDARY_DNS ("" = none)
	DNSViaServer bool   // DNS_VIA_SERVER, default true

	KeepaliveInterval time.Duration // KEEPALIVE_INTERVAL seconds, default 25s
	MTU               int           // MTU_SIZE, default 1420
	WGConfPath        string        // WG_CONF_PATH
	WGInterface       string        // WG_INTERFACE
	WGLocalIP         string        // WG_LOCAL_IP

	DomainsFile       string // DOMAINS_FILE, default routes/domains.txt (absolute after Load)
	IPListFile        string // IP_LIST_FILE, default routes/ips.txt
	DirectDomainsFile string // DIRECT_DOMAINS_FILE, default routes/direct.txt
	HostsFile         string // HOSTS_FILE, default: the OS hosts file
	PACDir            string // PAC_DIR, default pac
	BackupDir         string // BACKUP_DIR, default backups

	Warnings []string // non-fatal findings (unknown keys, unused secrets, inert IPv6 keys)

	// Where each key's value came from, for messages and `config show`; nil
	// for a Config built in code.
	name      string            // config file name as given (for messages)
	src       map[string]source // canonical key -> where it was set
	extra     []KV              // unknown keys of the file (secret ones masked)
	parseWarn []string          // warnings found while reading (Validate adds its own)
}
