package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

const okPrefix = "Prefix-0123456789"

func parseString(t *testing.T, body string, role Role) (*Config, error) {
	t.Helper()
	return Parse(strings.NewReader(body), "/etc/autovpn/config.env", nil, role)
}

func mustParse(t *testing.T, body string, role Role) *Config {
	t.Helper()
	c, err := parseString(t, body, role)
	if err != nil {
		t.Fatalf("Parse:\n%s\nerror: %v", body, err)
	}
	return c
}

func TestLexLine(t *testing.T) {
	tests := []struct {
		line, key, value, err string
	}{
		{"", "", "", ""},
		{"   # comment", "", "", ""},
		{"KEY=value", "KEY", "value", ""},
		{"  KEY = value  ", "KEY", "value", ""},
		{"export KEY=value", "KEY", "value", ""},
		{"exportKEY=value", "exportKEY", "value", ""},
		{"KEY=443 # https", "KEY", "443", ""},
		{"KEY=a#b", "KEY", "a#b", ""},
		{"KEY=#only comment", "KEY", "", ""},
		{"KEY=", "KEY", "", ""},
		{`KEY="a # b"  # c`, "KEY", "a # b", ""},
		{`KEY='it "x"'`, "KEY", `it "x"`, ""},
		{`KEY="x"y`, "KEY", "x", "unexpected text after the closing quote"},
		{`KEY="open`, "KEY", "", "unterminated quote"},
		{"no equals here", "", "", `no "="`},
		{"BAD KEY=1", "", "", "not a key name"},
		{"1KEY=1", "", "", "not a key name"},
		{"=value", "", "", "not a key name"},
		{"KEY=a=b", "KEY", "a=b", ""},
		{"KEY=\tv\t", "KEY", "v", ""},
	}
	for _, tt := range tests {
		l := lexLine(tt.line)
		if l.key != tt.key || l.value != tt.value || !strings.Contains(l.err, tt.err) || (tt.err == "") != (l.err == "") {
			t.Errorf("lexLine(%q) = key %q value %q err %q; want %q %q %q", tt.line, l.key, l.value, l.err, tt.key, tt.value, tt.err)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, "PREFIX="+okPrefix, RoleServer)
	want := map[string]string{
		"SERVER_PORT": "443", "SERVER_LISTEN": "[::]:443", "SERVER_RESTRICT_PORT": "8443", "TLS": "false",
		"WSTUNNEL_PORT": "1081", "SOCKS5_PORT": "1082", "HTTP_PORT": "8081",
		"ENABLE_IPV6": "true", "PREFER_IPV6": "false", "IPV6_FALLBACK": "true",
		"LISTEN_V4": "127.0.0.1", "LISTEN_V6": "::1", "ADMIN_ADDR": "127.0.0.1:8090", "METRICS_ADDR": "",
		"PRIMARY_DNS": "", "DNS_VIA_SERVER": "true", "KEEPALIVE_INTERVAL": "25", "MTU_SIZE": "1420",
		"DOMAINS_FILE": "/etc/autovpn/routes/domains.txt", "IP_LIST_FILE": "/etc/autovpn/routes/ips.txt",
		"DIRECT_DOMAINS_FILE": "/etc/autovpn/routes/direct.txt", "HOSTS_FILE": osHostsFile(),
		"PAC_DIR": "/etc/autovpn/pac", "BACKUP_DIR": "/etc/autovpn/backups",
	}
	for k, v := range want {
		if got, _ := c.Value(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if c.Policy != netx.PreferIPv4 || c.KeepaliveInterval != 25*time.Second {
		t.Errorf("policy %v keepalive %v", c.Policy, c.KeepaliveInterval)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	d := Default()
	d.Prefix = okPrefix
	if err := d.Validate(RoleServer); err != nil {
		t.Errorf("Default().Validate: %v", err)
	}
	if d.ServerListen[0] != "[::]:443" || d.DomainsFile != "routes/domains.txt" {
		t.Errorf("Default: listen %v domains %q", d.ServerListen, d.DomainsFile)
	}
}

func TestValues(t *testing.T) {
	tests := []struct{ line, key, want string }{
		{"SERVER_PORT=8443 # alt", "SERVER_PORT", "8443"},
		{"SERVER_PORT=8443", "SERVER_LISTEN", "[::]:8443"},
		{"SERVER_LISTEN=0.0.0.0:443, [::]:443", "SERVER_LISTEN", "0.0.0.0:443,[::]:443"},
		{"SERVER_IP=a.example, 192.0.2.1,", "SERVER_IP", "a.example,192.0.2.1"},
		{"SERVER_IPV6=[2001:db8::1],2001:db8::2", "SERVER_IP_V6", "2001:db8::1,2001:db8::2"},
		{"IPv6_ENABLE=False", "ENABLE_IPV6", "false"},
		{"ipv6_prefer=YES", "PREFER_IPV6", "true"},
		{"IPv6_FALLBACK=off", "IPV6_FALLBACK", "false"},
		{"IPv6_LISTEN_ADDR=[::1]", "LISTEN_V6", "::1"},
		{"IPv6_PROXY_ADDR=::1", "LISTEN_V6", "::1"},
		{"TLS=1", "TLS", "true"},
		{"TLS_PIN=sha256 Fingerprint=" + strings.Repeat("AB:", 31) + "AB", "TLS_PIN", strings.Repeat("ab", 32)},
		{"ALLOW_DESTINATIONS=10.1.2.3/8, 192.0.2.1, 2001:db8::/32, [::1]:80, 127.0.0.1:53", "ALLOW_DESTINATIONS",
			"10.0.0.0/8,192.0.2.1/32,2001:db8::/32,[::1]:80,127.0.0.1:53"},
		{"PRIMARY_DNS=system", "PRIMARY_DNS", ""},
		{"PRIMARY_DNS=tls://dns.example:853", "PRIMARY_DNS", "tls://dns.example:853"},
		{"SECONDARY_DNS=[2001:4860::8888]:53", "SECONDARY_DNS", "[2001:4860::8888]:53"},
		{"PRIMARY_DNS=https://dns.example/dns-query", "PRIMARY_DNS", "https://dns.example/dns-query"},
		{"ADMIN_ADDR=", "ADMIN_ADDR", ""},
		{"SOCKS5_PORT=", "SOCKS5_PORT", "1082"},
		{"KEEPALIVE_INTERVAL=10", "KEEPALIVE_INTERVAL", "10"},
		{"HOSTS_FILE=/tmp/hosts", "HOSTS_FILE", "/tmp/hosts"},
		{"PAC_DIR=out/pac", "PAC_DIR", "/etc/autovpn/out/pac"},
		{"PREFIX=/" + okPrefix, "PREFIX", okPrefix},
		{"WG_LOCAL_IP=10.0.0.2/32, fd00::2/128", "WG_LOCAL_IP", "10.0.0.2/32, fd00::2/128"},
	}
	for _, tt := range tests {
		c := mustParse(t, "PREFIX="+okPrefix+"\n"+tt.line+"\n", RoleAny)
		if got, _ := c.Value(tt.key); got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.line, tt.key, got, tt.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		body string
		want netx.Policy
	}{
		{"", netx.PreferIPv4},
		{"PREFER_IPV6=true", netx.PreferIPv6},
		{"PREFER_IPV6=true\nIPV6_FALLBACK=false\nSERVER_IP_V6=2001:db8::1", netx.IPv6Only},
		{"ENABLE_IPV6=false", netx.IPv4Only},
		{"IPV6_FALLBACK=false", netx.IPv4Only},
	}
	for _, tt := range tests {
		c := mustParse(t, "SERVER_IP=192.0.2.1\nPREFIX="+okPrefix+"\n"+tt.body, RoleClient)
		if c.Policy != tt.want {
			t.Errorf("%q: policy %v, want %v", tt.body, c.Policy, tt.want)
		}
	}
}

func TestEnvOverride(t *testing.T) {
	env := map[string]string{"AUTOVPN_SERVER_PORT": "8443", "AUTOVPN_PREFIX": okPrefix, "AUTOVPN_ENABLE_IPV6": "no"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := Parse(strings.NewReader("SERVER_PORT=1\nPREFIX=x\n"), "c.env", lookup, RoleServer)
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerPort != 8443 || c.Prefix != okPrefix || c.EnableIPv6 {
		t.Errorf("overrides not applied: port %d ipv6 %v", c.ServerPort, c.EnableIPv6)
	}
	env["AUTOVPN_SERVER_PORT"] = "0"
	_, err = Parse(strings.NewReader(""), "c.env", lookup, RoleServer)
	if err == nil || err.Error() != `environment: AUTOVPN_SERVER_PORT: "0" is not a port (1-65535)` {
		t.Errorf("err = %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.env")
	if _, err := Load(path, RoleServer); err == nil || !strings.Contains(err.Error(), "autovpn config init") {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(path, []byte("PREFIX="+okPrefix+"\nDOMAINS_FILE=d.txt\n"), 0o600)
	t.Setenv("AUTOVPN_HTTP_PORT", "9001")
	c, err := Load(path, RoleServer)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Dir != dir || c.DomainsFile != filepath.Join(dir, "d.txt") || c.HTTPPort != 9001 {
		t.Errorf("Path %q Dir %q DomainsFile %q HTTPPort %d", c.Path, c.Dir, c.DomainsFile, c.HTTPPort)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ body, role, want string }{
		{"SERVER_PORT=70000", "any", `config.env:2: SERVER_PORT: "70000" is not a port (1-65535)`},
		{"SERVER_PORT=https", "any", `config.env:2: SERVER_PORT: "https" is not a port`},
		{"SERVER_IP_V6=1.2.3.4", "any", `config.env:2: SERVER_IP_V6: "1.2.3.4" is an IPv4 address`},
		{"SERVER_IP_V6=::ffff:1.2.3.4", "any", `SERVER_IP_V6: "::ffff:1.2.3.4" is an IPv4 address`},
		{"SERVER_IP=bad host!", "any", `config.env:2: SERVER_IP: "bad host!" is neither an IP address nor a hostname`},
		{"ENABLE_IPV6=maybe", "any", `config.env:2: ENABLE_IPV6: "maybe" is not a boolean`},
		{"TLS_PIN=00", "any", `config.env:2: TLS_PIN: "00": fingerprint has 1 bytes`},
		{"ALLOW_DESTINATIONS=host.example", "any", `ALLOW_DESTINATIONS: "host.example": want a comma list`},
		{"ALLOW_DESTINATIONS=1.2.3.4:0", "any", `ALLOW_DESTINATIONS: "1.2.3.4:0"`},
		{"LISTEN_V4=localhost", "any", `LISTEN_V4: "localhost" is not an IPv4 address`},
		{"LISTEN_V6=::ffff:127.0.0.1", "any", `LISTEN_V6: "::ffff:127.0.0.1" is not an IPv6 address`},
		{"PASS=x", "any", `config.env:2: PASS: is set but USER is empty`},
		{"LISTEN_V4=192.0.2.5", "client", `LISTEN_V4: "192.0.2.5" lets other hosts use the proxies`},
		{"KEEPALIVE_INTERVAL=0", "any", `KEEPALIVE_INTERVAL: "0" is not a number of seconds`},
		{"MTU_SIZE=9001", "any", `MTU_SIZE: 9001 is out of range`},
		{"MTU_SIZE=big", "any", `MTU_SIZE: "big" is not a number`},
		{"PRIMARY_DNS=8.8.8.8:0", "any", `PRIMARY_DNS: "8.8.8.8:0"`},
		{"PRIMARY_DNS=tls://", "any", `PRIMARY_DNS: "tls://": bad host`},
		{"PRIMARY_DNS=https://", "any", `PRIMARY_DNS: "https://"`},
		{"SERVER_LISTEN=[::]:99999", "any", `SERVER_LISTEN: "[::]:99999": "99999" is not a port`},
		{"SERVER_LISTEN=example.com:443", "any", `SERVER_LISTEN: "example.com:443": listen host must be an IP address`},
		{"ADMIN_ADDR=8090", "any", `ADMIN_ADDR: "8090" is not host:port`},
		{"WG_LOCAL_IP=10.0.0.300", "any", `WG_LOCAL_IP: "10.0.0.300" is not an IP address or CIDR`},
		{"TLS=true", "server", `config.env: TLS_CERT: TLS=true needs TLS_CERT and TLS_KEY`},
		{"TLS=true\nTLS_CERT=/nonexistent/c.pem\nTLS_KEY=/nonexistent/k.pem", "server", `config.env:3: TLS_CERT: stat /nonexistent/c.pem`},
		{"PREFER_IPV6=1\nIPV6_FALLBACK=0", "client", `config.env:2: PREFER_IPV6: IPv6 is preferred with IPV6_FALLBACK=false, but there is no IPv6 way`},
		{"ENABLE_IPV6=false\nSERVER_IP=\nSERVER_IP_V6=2001:db8::1", "client", `SERVER_IP: only IPv4 may be used`},
		{"SERVER_IP=", "client", `config.env:2: SERVER_IP: the client needs the server's address`},
		{`SERVER_IP="192.0.2.1`, "any", `config.env:2: SERVER_IP: unterminated quote`},
	}
	for _, tt := range tests {
		role, _ := ParseRole(tt.role)
		_, err := parseString(t, "SERVER_IP=192.0.2.1\n"+tt.body+"\nPREFIX="+okPrefix, role)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q (%s):\n got %v\nwant %s", tt.body, tt.role, err, tt.want)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: error is not a *Error: %T", tt.body, err)
		}
	}
}

func TestPrefixErrorsHideSecret(t *testing.T) {
	tests := []struct{ line, want string }{
		{"PREFIX=", "config.env:1: PREFIX: missing or empty"},
		{"", "config.env: PREFIX: missing or empty"},
		{"PREFIX=Qz7kW", "config.env:1: PREFIX: too short (5 characters)"},
		{`PREFIX="Qz7kW9 spaced"`, "config.env:1: PREFIX: may hold only letters"},
		{"PREFIX=Qz7kW9/slash", "config.env:1: PREFIX: may hold only letters"},
		{`PREFIX="Qz7kW9`, "config.env:1: PREFIX: unterminated quote"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.line), "config.env", nil, RoleServer)
		if err == nil || err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %s", tt.line, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Qz7k") {
			t.Errorf("%q: error echoes the secret: %v", tt.line, err)
		}
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := parseString(t, "SERVER_PORT=0\nENABLE_IPV6=maybe\nMTU_SIZE=1\n'\nPREFIX=\n", RoleServer)
	errs := Errors(err)
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if len(errs) != 5 || lines[0] != 1 || lines[4] != 5 {
		t.Fatalf("got %d errors on lines %v: %v", len(errs), lines, err)
	}
}

func TestWarnings(t *testing.T) {
	c := mustParse(t, strings.Join([]string{
		"PREFIX=" + okPrefix,
		"WSTUNNEL_PATH=/usr/bin/wstunnel",
		"SSH_PASSWORD=Zx9-ssh-secret",
		"ROOT_PASSWORD=Zx9-root-secret",
		"SERVER_PORT=443",
		"SERVER_PORT=8443",
		"ENABLE_IPV6=false",
		"SERVER_IP_V6=2001:db8::1",
		"SERVER_LISTEN=0.0.0.0:443",
	}, "\n"), RoleServer)
	want := []string{
		"config.env:2: WSTUNNEL_PATH: unknown key, ignored",
		"config.env:3: SSH_PASSWORD: holds a secret autovpn does not use",
		"config.env:4: ROOT_PASSWORD: holds a secret autovpn does not use",
		"config.env:6: SERVER_PORT: SERVER_PORT is also set on line 5; this line wins",
		"config.env:7: ENABLE_IPV6: is false, so SERVER_IP_V6 is ignored",
	}
	all := strings.Join(c.Warnings, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing warning %q in:\n%s", w, all)
		}
	}
	if strings.Contains(all, "Zx9") || strings.Contains(all, "SERVER_LISTEN") {
		t.Errorf("warnings:\n%s", all)
	}
	for _, kv := range c.Masked() {
		if strings.Contains(kv.Value, "Zx9") || kv.Key == "PREFIX" && kv.Value != masked {
			t.Errorf("Masked shows %s=%s", kv.Key, kv.Value)
		}
	}
	// Validate is idempotent: it does not pile up warnings.
	n := len(c.Warnings)
	c.Validate(RoleServer)
	if len(c.Warnings) != n {
		t.Errorf("Validate twice: %d then %d warnings", n, len(c.Warnings))
	}
}

func TestServerListenWarning(t *testing.T) {
	c := mustParse(t, "PREFIX="+okPrefix+"\nSERVER_LISTEN=0.0.0.0:443", RoleServer)
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "SERVER_LISTEN: does not accept both IPv4 and IPv6") {
		t.Errorf("warnings %q", c.Warnings)
	}
	for _, l := range []string{"[::]:443", "0.0.0.0:443,[::1]:443", ":443"} {
		if c := mustParse(t, "PREFIX="+okPrefix+"\nSERVER_LISTEN="+l, RoleServer); len(c.Warnings) != 0 {
			t.Errorf("%s: warnings %q", l, c.Warnings)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "c.env", Line: 3, Key: "K", Msg: "m"}, "c.env:3: K: m"},
		{Error{File: "c.env", Key: "K", Msg: "m"}, "c.env: K: m"},
		{Error{Key: "K", Msg: "m"}, "K: m"},
		{Error{File: "c.env", Line: 2, Msg: "m"}, "c.env:2: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []Role{RoleAny, RoleServer, RoleClient} {
		if got, err := ParseRole(r.String()); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseRole("both"); err == nil {
		t.Error("ParseRole(both): no error")
	}
}
