package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/server"
	"golang.org/x/net/proxy"
)

// TestFloodDoesNotStopService holds a slow-loris and half-open flood from
// 127.0.0.2 against the server while the real client (from 127.0.0.1)
// keeps opening connections through the tunnel.
func TestFloodDoesNotStopService(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	srv := fmt.Sprintf("127.0.0.1:%d", p.scfg.ServerPort)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 2 * time.Second}
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := 0; i < 500; i++ {
		c, err := d.Dial("tcp", srv)
		if err != nil {
			continue // refused under load is fine: the point is the client below
		}
		flood = append(flood, c)
		if i%2 == 0 { // slow-loris: a request line and never the end of the headers
			fmt.Fprintf(c, "GET /%s/v1 HTTP/1.1\r\nHost: x\r\nX-Slow: ", p.scfg.Prefix)
		}
	}
	socks, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), nil, &net.Dialer{})
	for i := 0; i < 50; i++ {
		conn, err := socks.Dial("tcp", p.echo[[]string{"4", "6"}[i%2]])
		if err != nil {
			t.Fatalf("connection %d through the tunnel during the flood: %v", i, err)
		}
		echoThrough(t, conn, []byte("still here"))
		conn.Close()
	}
}

// TestClientStartFailsCleanly: a taken IPv4 port is a start error naming
// it, and the listeners bound before it are released.
func TestClientStartFailsCleanly(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	p := newPair(t, nil)
	cfg := *p.ccfg
	cfg.SOCKS5Port = 0
	cfg.HTTPPort = uint16(port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := startClient(ctx, p.log, &cfg, modeCombined); err == nil || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Fatalf("start with a taken port: %v", err)
	}
}

// TestUDPAssociationLimit: a tunnel gets at most DefaultUDPPerSession UDP
// associations at once; the next is refused, and closing one frees a slot.
func TestUDPAssociationLimit(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	ctx := context.Background()
	var open []interface{ Close() error }
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < server.DefaultUDPPerSession; i++ {
		pc, err := p.cli.c.ListenPacket(ctx)
		if err != nil {
			t.Fatalf("association %d: %v", i+1, err)
		}
		open = append(open, pc)
	}
	if pc, err := p.cli.c.ListenPacket(ctx); err == nil {
		pc.Close()
		t.Fatalf("association %d beyond the limit was accepted", server.DefaultUDPPerSession+1)
	}
	open[0].Close()
	open = open[1:]
	deadline := time.Now().Add(5 * time.Second)
	for {
		pc, err := p.cli.c.ListenPacket(ctx)
		if err == nil {
			pc.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot after closing one: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
