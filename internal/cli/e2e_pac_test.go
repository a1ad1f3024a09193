package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
)

// TestClientServesPAC: /proxy.pac on the HTTP proxy port (both families)
// lists the domains, carries an ETag, answers 304, and follows edits.
func TestClientServesPAC(t *testing.T) {
	list := filepath.Join(t.TempDir(), "domains.txt")
	os.WriteFile(list, []byte("# routed\nexample.org\n"), 0o644)
	p := newPair(t, func(s, c *config.Config) { c.DomainsFile = list })
	get := func(url, etag string) (int, string, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("ETag")
	}
	var etag string
	for _, v6 := range []bool{false, true} {
		st, body, tag := get("http://"+p.cli.addr("http", v6)+"/proxy.pac", "")
		if st != 200 || !strings.Contains(body, "FindProxyForURL") || !strings.Contains(body, "example.org") || !strings.Contains(body, "[::1]") {
			t.Fatalf("PAC via %s: %d %q", p.cli.addr("http", v6), st, body)
		}
		etag = tag
	}
	if st, _, _ := get("http://"+p.cli.addr("http", false)+"/proxy.pac", etag); st != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: %d, want 304", st)
	}
	os.WriteFile(list, []byte("# routed\nexample.org\nnew-domain.test\n"), 0o644)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body, tag := get("http://"+p.cli.addr("http", false)+"/proxy.pac", "")
		if strings.Contains(body, "new-domain.test") && tag != etag {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("PAC not rebuilt after the domain list changed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
