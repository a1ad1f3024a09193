package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/client"
	"github.com/autovpn/autovpn/internal/pathsel"
)

// The per-family RTT that /status serves (families[].rtt_ns) reaches the
// FAMILY table of `autovpn status`.
func TestStatusShowsFamilyRTT(t *testing.T) {
	st := clientStatus{Tunnel: client.Status{Up: true, Family: "ipv4", Remote: "192.0.2.1:443",
		Families: []pathsel.FamilyState{{Family: pathsel.IPv4, State: pathsel.OK, RTT: 12500 * time.Microsecond}}}}
	body, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeStatus(body)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printStatus(&out, "127.0.0.1:8090", v)
	if v.Tunnel.Families[0].RTT != 12500*time.Microsecond || !strings.Contains(out.String(), "12.5 ms") {
		t.Fatalf("family RTT lost: decoded %v, output:\n%s\n(json %s)", v.Tunnel.Families[0].RTT, out.String(), body)
	}
}
