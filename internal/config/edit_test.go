package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetInText(t *testing.T) {
	tests := []struct{ name, in, key, value, want string }{
		{"replace keeps comment", "A=1\nSERVER_PORT=443 # https\nB=2\n", "SERVER_PORT", "8443", "A=1\nSERVER_PORT=8443 # https\nB=2\n"},
		{"spaces and export kept", "  export SERVER_PORT = 443\n", "SERVER_PORT", "1", "  export SERVER_PORT = 1\n"},
		{"quoted value replaced whole", "PASS=\"old pw\"  # c\n", "PASS", "new", "PASS=new  # c\n"},
		{"needs quotes", "PASS=x\n", "PASS", "a b#c", "PASS=\"a b#c\"\n"},
		{"has double quote", "PASS=x\n", "PASS", `say "hi"`, "PASS='say \"hi\"'\n"},
		{"alias line edited", "IPv6_ENABLE=True\n", "ENABLE_IPV6", "false", "IPv6_ENABLE=false\n"},
		{"every line of the key", "PREFER_IPV6=1\nX=1\nIPv6_PREFER=0\n", "PREFER_IPV6", "yes", "PREFER_IPV6=yes\nX=1\nIPv6_PREFER=yes\n"},
		{"appended", "# c\nA=1\n", "SOCKS5_PORT", "1090", "# c\nA=1\nSOCKS5_PORT=1090\n"},
		{"appended without final newline", "A=1", "SOCKS5_PORT", "1090", "A=1\nSOCKS5_PORT=1090\n"},
		{"empty file", "", "SOCKS5_PORT", "1090", "SOCKS5_PORT=1090\n"},
		{"CRLF kept", "A=1\r\nHTTP_PORT=1\r\n", "HTTP_PORT", "2", "A=1\r\nHTTP_PORT=2\r\n"},
		{"CRLF append", "A=1\r\n", "HTTP_PORT", "2", "A=1\r\nHTTP_PORT=2\r\n"},
		{"BOM kept", "\ufeffHTTP_PORT=1\n", "HTTP_PORT", "2", "\ufeffHTTP_PORT=2\n"},
		{"empty value before comment", "HTTP_PORT=# none\n", "HTTP_PORT", "2", "HTTP_PORT=2 # none\n"},
		{"empty value", "HTTP_PORT=\n", "HTTP_PORT", "2", "HTTP_PORT=2\n"},
		{"commented-out line untouched", "# HTTP_PORT=1\n", "HTTP_PORT", "2", "# HTTP_PORT=1\nHTTP_PORT=2\n"},
		{"broken lines untouched", "junk line\nHTTP_PORT=\"x\n", "HTTP_PORT", "2", "junk line\nHTTP_PORT=\"x\nHTTP_PORT=2\n"},
		{"set to empty", "SERVER_IP=1.2.3.4 # vps\n", "SERVER_IP", "", "SERVER_IP= # vps\n"},
	}
	for _, tt := range tests {
		enc, err := encodeValue(tt.value)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := setInText(tt.in, lookupKey(tt.key), enc); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestEncodeValueRoundTrip: whatever SetKey writes reads back as the value.
func TestEncodeValueRoundTrip(t *testing.T) {
	for _, v := range []string{"", "plain", "a b", "#x", "a #b", "it's", `say "x"`, " lead", "trail ", "a#b", "=", "\t"} {
		enc, err := encodeValue(v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		l := lexLine("K=" + enc + " # comment")
		if l.err != "" || l.value != v {
			t.Errorf("%q encoded as %q reads back %q (err %q)", v, enc, l.value, l.err)
		}
	}
	for _, v := range []string{"a\nb", `both ' and "`} {
		if _, err := encodeValue(v); err == nil {
			t.Errorf("%q: no error", v)
		}
	}
}

func writeTemp(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.env")
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	return path
}

func TestSetKey(t *testing.T) {
	body := "# mine\nSERVER_PORT=443 # https\nPREFIX=" + okPrefix + "\n"
	path := writeTemp(t, body, 0o640)
	if err := SetKey(path, "server_port", "8443"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "# mine\nSERVER_PORT=8443 # https\nPREFIX="+okPrefix+"\n" {
		t.Errorf("file now %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	if v, err := GetKey(path, "SERVER_PORT"); err != nil || v != "8443" {
		t.Errorf("GetKey = %q, %v", v, err)
	}
}

func TestSetKeyRefuses(t *testing.T) {
	body := "SERVER_PORT=443\n"
	path := writeTemp(t, body, 0o600)
	tests := []struct{ key, value, want string }{
		{"NOPE", "1", "NOPE: unknown key"},
		{"SERVER_PORT", "70000", `config.env: SERVER_PORT: "70000" is not a port (1-65535)`},
		{"SERVER_IP_V6", "1.2.3.4", `SERVER_IP_V6: "1.2.3.4" is an IPv4 address`},
		{"ENABLE_IPV6", "maybe", `ENABLE_IPV6: "maybe" is not a boolean`},
		{"MTU_SIZE", "10", "MTU_SIZE: 10 is out of range"},
		{"LISTEN_V4", "::1", `LISTEN_V4: "::1" is not an IPv4 address`},
		{"PREFIX", "Zq7/x", "PREFIX: too short"},
		{"PREFIX", "Zq7/xxxxxxxx", "PREFIX: may hold only"},
		{"PASS", "a\nb", "PASS: a value cannot contain a line break"},
	}
	for _, tt := range tests {
		err := SetKey(path, tt.key, tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetKey(%s, %q) = %v, want %q", tt.key, tt.value, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Zq7") {
			t.Errorf("error echoes a secret: %v", err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != body {
		t.Errorf("file changed to %q", got)
	}
	if err := SetKey(filepath.Join(t.TempDir(), "none.env"), "SERVER_PORT", "1"); err == nil || !strings.Contains(err.Error(), "config init") {
		t.Errorf("missing file: %v", err)
	}
}

func TestGetKey(t *testing.T) {
	path := writeTemp(t, "SERVER_PORT=bad\nIPv6_PREFER=on\nPREFIX=Zq7-secret-prefix\n", 0o600)
	if _, err := GetKey(path, "SERVER_PORT"); err == nil || !strings.Contains(err.Error(), `:1: SERVER_PORT: "bad"`) {
		t.Errorf("bad own value: %v", err)
	}
	for key, want := range map[string]string{"PREFER_IPV6": "true", "ipv6_prefer": "true", "PREFIX": "Zq7-secret-prefix", "HTTP_PORT": "8081"} {
		if v, err := GetKey(path, key); err != nil || v != want {
			t.Errorf("GetKey(%s) = %q, %v; want %q", key, v, err, want)
		}
	}
	t.Setenv("AUTOVPN_HTTP_PORT", "9000")
	if v, _ := GetKey(path, "HTTP_PORT"); v != "9000" {
		t.Errorf("env override: %q", v)
	}
	if _, err := GetKey(path, "NOPE"); err == nil {
		t.Error("unknown key: no error")
	}
}
