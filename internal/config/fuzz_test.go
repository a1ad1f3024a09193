package config

import (
	"strings"
	"testing"
)

// Secret values appended to every fuzzed file: whatever else the file holds,
// no error or warning may contain them.
var fuzzSecrets = []struct{ prefix, pass string }{
	{"Zq7mK2pV9xW4nB", "Pw9Lk3Jh5Gf1Ds"},      // valid
	{"Zq7m", "Pw9Lk3Jh5Gf1Ds"},                // PREFIX too short
	{`"Zq7mK2/pV9 xW4"`, `'Pw9Lk3 Jh5#Gf'`},   // PREFIX not URL-safe, PASS quoted
	{`"Zq7mK2pV9xW4nB`, "Pw9Lk3Jh5Gf1Ds # c"}, // unterminated quote
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"SERVER_PORT=443 # https\nSERVER_IP=vpn.example.com\n",
		"export PREFIX='abc'\nUSER=alice\n",
		"SERVER_IP_V6=1.2.3.4\nENABLE_IPV6=maybe\n",
		"IPv6_ENABLE=True\nIPv6_PREFER=1\nIPv6_FALLBACK=no\nIPv6_LISTEN_ADDR=[::1]\n",
		"TLS=true\nTLS_PIN=sha256 Fingerprint=AB:CD\n",
		"ALLOW_DESTINATIONS=10.0.0.0/8,[::1]:80,1.2.3.4\n",
		"PRIMARY_DNS=tls://dns.example:853\nSECONDARY_DNS=https://x/y\n",
		"\ufeffSSH_PASSWORD=x\r\nFOO=bar\r\n",
		"KEY=\"unterminated\n=\n==\n#\n",
		"LISTEN_V4=0.0.0.0\nPASS=\n",
	} {
		for i := range fuzzSecrets {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		sec := fuzzSecrets[int(which)%len(fuzzSecrets)]
		if strings.Contains(data, "Zq7m") || strings.Contains(data, "Pw9Lk3") {
			t.Skip()
		}
		body := data + "\nPREFIX=" + sec.prefix + "\nUSER=u\nPASS=" + sec.pass + "\n"
		for _, role := range []Role{RoleAny, RoleServer, RoleClient} {
			c, err := Parse(strings.NewReader(body), "config.env", nil, role)
			text := ""
			if err != nil {
				text = err.Error()
				if len(Errors(err)) == 0 {
					t.Fatalf("error is not made of *Error: %v", err)
				}
			} else {
				text = strings.Join(c.Warnings, "\n")
				for _, kv := range c.Masked() {
					text += kv.Value
				}
			}
			if strings.Contains(text, "Zq7m") || strings.Contains(text, "Pw9Lk3") {
				t.Fatalf("secret leaked:\n%s", text)
			}
		}
	})
}

// FuzzSetInText: an edit changes only the lines of its key (or appends one)
// and the file then reads back the new value.
func FuzzSetInText(f *testing.F) {
	f.Add("A=1\nHTTP_PORT=1 # c\n", "8080")
	f.Add("\ufeffHTTP_PORT=\"x\r\nB=2", "a b")
	f.Add("HTTP_PORT=#c\nHTTP_PORT='q", `say "x"`)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, text, value string) {
		k := lookupKey("HTTP_PORT")
		enc, err := encodeValue(value)
		if err != nil {
			return
		}
		out := setInText(text, k, enc)
		in, got := splitLines(text), splitLines(out)
		if len(got) < len(in) || len(got) > len(in)+1 {
			t.Fatalf("%d lines became %d", len(in), len(got))
		}
		last := ""
		for i, l := range got {
			lx := lexLine(l)
			isKey := lx.err == "" && lx.key != "" && lookupKey(lx.key) == k
			if i < len(in) && !isKey && l != in[i] {
				t.Fatalf("line %d changed: %q -> %q", i+1, in[i], l)
			}
			if isKey {
				last = lx.value
			}
		}
		if last != value {
			t.Fatalf("reads back %q, want %q\n%q", last, value, out)
		}
	})
}
