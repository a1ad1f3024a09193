package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
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

// TestMetricsStreamFamilies: stream failures and active streams carry the
// family on both sides (DESIGN §8) — the destination's when the open names
// an address, else the tunnel's — and the client counts its resolve streams
// and their DNS answers by type.
func TestMetricsStreamFamilies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	p := newPair(t, func(s, _ *config.Config) { s.MetricsAddr = metricsAddr })
	p.waitUp()
	tunnelFam := p.cli.c.Status().Family
	if tunnelFam != "ipv4" && tunnelFam != "ipv6" {
		t.Fatalf("tunnel family %q", tunnelFam)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	ans, err := p.cli.c.Resolve(ctx, []string{"127.0.0.1", "::1"})
	if err != nil || len(ans) != 2 {
		t.Fatalf("resolve: %v, %+v", err, ans)
	}
	pc, err := p.cli.c.ListenPacket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// Outside the server's allowed destinations: denied, and counted
	// under the destination's family whatever the tunnel's.
	if conn, err := p.cli.c.DialContext(ctx, "tcp", "[2001:db8::1]:80"); err == nil {
		conn.Close()
		t.Fatal("dial to a denied destination succeeded")
	}

	for _, side := range []struct{ url, prefix string }{
		{"http://" + p.cli.adminAddr() + "/metrics", "autovpn_"},
		{"http://" + metricsAddr + "/metrics", "autovpn_server_"},
	} {
		want := []string{
			side.prefix + `stream_opens_total{family="` + tunnelFam + `",kind="resolve"} 1`,
			side.prefix + `dns_answers_total{type="A"} 1`,
			side.prefix + `dns_answers_total{type="AAAA"} 1`,
			side.prefix + `streams_active{family="` + tunnelFam + `",kind="resolve"} 0`,
			side.prefix + `stream_opens_total{family="` + tunnelFam + `",kind="udp"} 1`,
			side.prefix + `streams_active{family="` + tunnelFam + `",kind="udp"} 1`,
			side.prefix + `stream_failures_total{family="ipv6",kind="tcp",reason="denied"} 1`,
		}
		var body, missing string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			body, missing = scrapeBody(side.url), ""
			for _, w := range want {
				if !strings.Contains(body, w+"\n") {
					missing = w
				}
			}
			if missing == "" || time.Now().After(deadline) {
				break
			}
		}
		if missing != "" {
			t.Errorf("%s lacks %s", side.url, missing)
		}
		for _, line := range strings.Split(body, "\n") {
			for _, m := range []string{"stream_failures_total{", "streams_active{"} {
				if strings.HasPrefix(line, side.prefix+m) && !strings.Contains(line, `family="`) {
					t.Errorf("%s: series without a family: %s", side.url, line)
				}
			}
		}
	}
}

// scrapeBody is httpGet that tolerates a listener not up yet.
func scrapeBody(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
