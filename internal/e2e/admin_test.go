package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// client is a running `autovpn client` and its admin API.
type client struct {
	*proc
	t testing.TB
}

// startClient starts a client on b.client; it returns at once (see
// waitReady and waitListening).
func (b *bed) startClient(e env) *client {
	b.t.Helper()
	return &client{proc: startAutovpn(b.t, b.client, "client", e), t: b.t}
}

// waitListening waits until the SOCKS5 port accepts, not for the tunnel.
func (c *client) waitListening() {
	c.t.Helper()
	c.waitTCP(c.t, mustAddrPort("127.0.0.1", socksPort), 10*time.Second)
}

// waitReady polls /readyz until the tunnel is up.
func (c *client) waitReady(timeout time.Duration) {
	c.t.Helper()
	err := poll(timeout, func() error {
		if c.Exited() {
			return errStop{fmt.Errorf("client exited: %v", c.Wait())}
		}
		code, body, err := adminGet(c.host, "/readyz")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/readyz: %d %s", code, strings.TrimSpace(body))
		}
		return err
	})
	if err != nil {
		c.t.Fatalf("client not ready: %v\nstatus: %+v", err, c.statusOrNil())
	}
}

// adminGet fetches path from ADMIN_ADDR inside h's namespace.
func adminGet(h *testbed.Host, path string) (int, string, error) {
	hc := http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: h.DialContext, DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + adminAddr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// status is the part of GET /status the tests read.
type status struct {
	Tunnel struct {
		Up        bool        `json:"up"`
		Remote    string      `json:"remote"`
		Family    string      `json:"family"`
		RTTMillis float64     `json:"rtt_ms"`
		LastError string      `json:"last_error"`
		Families  []famStatus `json:"families"`
	} `json:"tunnel"`
	Listeners []struct {
		Kind  string `json:"kind"`
		Addr  string `json:"addr"`
		Error string `json:"error"`
	} `json:"listeners"`
	IPv6 bool `json:"ipv6_enabled"`
}

// famStatus is one entry of the path memory. The product encodes Family
// and State as numbers (pathsel.Family, pathsel.State); names are
// accepted too.
type famStatus struct {
	Family    json.RawMessage `json:"family"`
	State     json.RawMessage `json:"state"`
	LastError string          `json:"lasterror"`
}

var (
	familyNames = []string{"ipv4", "ipv6"}
	stateNames  = []string{"unknown", "ok", "broken", "disabled"}
)

func enumName(raw json.RawMessage, names []string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.ToLower(s)
	}
	if n, err := strconv.Atoi(string(raw)); err == nil && n >= 0 && n < len(names) {
		return names[n]
	}
	return string(raw)
}

// familyState returns the path memory's state of fam ("ipv4"/"ipv6").
func (s *status) familyState(fam string) string {
	for _, f := range s.Tunnel.Families {
		if enumName(f.Family, familyNames) == fam {
			return enumName(f.State, stateNames)
		}
	}
	return "absent"
}

func (s *status) String() string {
	var fams []string
	for _, f := range s.Tunnel.Families {
		fams = append(fams, enumName(f.Family, familyNames)+"="+enumName(f.State, stateNames))
	}
	return fmt.Sprintf("up=%v family=%q remote=%s rtt=%.2fms families=[%s] last_error=%q",
		s.Tunnel.Up, s.Tunnel.Family, s.Tunnel.Remote, s.Tunnel.RTTMillis, strings.Join(fams, " "), s.Tunnel.LastError)
}

func (c *client) status() *status {
	c.t.Helper()
	st, err := c.fetchStatus()
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

func (c *client) statusOrNil() *status {
	st, _ := c.fetchStatus()
	return st
}

func (c *client) fetchStatus() (*status, error) {
	code, body, err := adminGet(c.host, "/status")
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("GET /status: %d %v %s", code, err, body)
	}
	var st status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return nil, fmt.Errorf("GET /status: %v in %s", err, body)
	}
	return &st, nil
}

// metric sums the samples of the Prometheus metric name whose labels
// include every pair of want.
func (c *client) metric(name string, want map[string]string) float64 {
	c.t.Helper()
	code, body, err := adminGet(c.host, "/metrics")
	if err != nil || code != http.StatusOK {
		c.t.Fatalf("GET /metrics: %d %v", code, err)
	}
	return sumMetric(body, name, want)
}

func sumMetric(text, name string, want map[string]string) float64 {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels, value := "", rest
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			if end < 0 {
				continue
			}
			labels, value = rest[1:end], rest[end+1:]
		}
		if !hasLabels(labels, want) {
			continue
		}
		if v, err := strconv.ParseFloat(strings.Fields(value)[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

func hasLabels(labels string, want map[string]string) bool {
	for k, v := range want {
		if !strings.Contains(labels, k+`="`+v+`"`) {
			return false
		}
	}
	return true
}
