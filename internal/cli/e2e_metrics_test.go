package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClientMetricsAndStatus: after traffic, the client's /metrics carries
// the tunnel connect, Happy Eyeballs winner, RTT and byte counters with
// family labels, and /status names the family.
func TestClientMetricsAndStatus(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	conn := p.socksDial(false, p.echo["6"])
	echoThrough(t, conn, []byte("count me"))
	conn.Close()
	admin := p.cli.adminAddr()
	want := []string{
		`autovpn_tunnel_connects_total{family="ipv4",result="ok"} 1`,
		`autovpn_happy_eyeballs_wins_total{family="ipv4"} 1`,
		`autovpn_bytes_total{direction="up",family="ipv6"} 8`,
		`autovpn_tunnel_rtt_seconds_count{family="ipv4"}`,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := httpGet(t, "http://"+admin+"/metrics")
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := httpGet(t, "http://"+admin+"/status"); !strings.Contains(st, `"family": "ipv4"`) || !strings.Contains(st, `"state": "ok"`) {
		t.Fatalf("status: %s", st)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
