package cli

import (
	"fmt"
	"net"
	"testing"
	"time"

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
