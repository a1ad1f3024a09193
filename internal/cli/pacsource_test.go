package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autovpn/autovpn/internal/config"
)

// One invalid line in the domain list must not cost the client its PAC
// (browsers would then send every listed domain direct): the valid entries
// are routed.
func TestPACSurvivesAnInvalidListLine(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "domains.txt")
	if err := os.WriteFile(list, []byte("secret-site.com\nintranet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{DomainsFile: list, SOCKS5Port: 1082, HTTPPort: 8081, ListenV4: "127.0.0.1", ListenV6: "::1", EnableIPv6: true}
	body, _ := newPACSource(cfg, slog.New(slog.DiscardHandler)).get()
	if !strings.Contains(string(body), "secret-site.com") {
		t.Fatalf("PAC with one invalid line in the list: %q; want the valid domain routed", body)
	}
}
