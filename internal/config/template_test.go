package config

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	tpl := Template(InitOptions{})
	c, err := Parse(bytes.NewReader(tpl), "/srv/config.env", nil, RoleServer)
	if err != nil {
		t.Fatalf("template does not parse: %v\n%s", err, tpl)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("template warnings: %q", c.Warnings)
	}
	for _, k := range keys {
		if !regexp.MustCompile(`(?m)^` + k.Name + `=`).Match(tpl) {
			t.Errorf("template lacks %s", k.Name)
		}
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(c.Prefix) {
		t.Errorf("PREFIX %q is not 32 URL-safe characters", c.Prefix)
	}
	// Defaults written in the template equal Default().
	d := Default()
	for _, k := range keys {
		if k.Path {
			continue
		}
		want, _ := d.Value(k.Name)
		if got, _ := c.Value(k.Name); got != want && k.Name != "PREFIX" {
			t.Errorf("%s: template gives %q, Default %q", k.Name, got, want)
		}
	}
	c2, _ := Parse(bytes.NewReader(Template(InitOptions{})), "x.env", nil, RoleAny)
	if c2.Prefix == c.Prefix {
		t.Error("two templates share a PREFIX")
	}
}

func TestTemplateOptions(t *testing.T) {
	pin := strings.Repeat("0f", 32)
	tests := []struct {
		opts  InitOptions
		check func(c *Config) bool
	}{
		{InitOptions{ServerHost: "vpn.example.com"}, func(c *Config) bool { return c.ServerHosts[0] == "vpn.example.com" }},
		{InitOptions{ServerHost: "[2001:db8::1]"}, func(c *Config) bool { return len(c.ServerHosts) == 0 && c.ServerHostsV6[0] == "2001:db8::1" }},
		{InitOptions{Prefix: "fixed-prefix-123", ServerHost: "192.0.2.1"}, func(c *Config) bool { return c.Prefix == "fixed-prefix-123" }},
		{InitOptions{ServerHost: "192.0.2.1", TLS: true, TLSCert: "cert.pem", TLSKey: "key.pem", TLSPin: pin}, func(c *Config) bool {
			return c.TLS && c.TLSCert == "/srv/cert.pem" && c.TLSKey == "/srv/key.pem" && getPin(c) == pin
		}},
	}
	for _, tt := range tests {
		c, err := Parse(bytes.NewReader(Template(tt.opts)), "/srv/config.env", nil, RoleClient)
		if err != nil || !tt.check(c) {
			t.Errorf("%+v: err %v", tt.opts, err)
		}
	}
}
