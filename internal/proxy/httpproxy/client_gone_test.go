package httpproxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// stallOrigin answers nothing (or, with head, a response head and part of a
// body) and never finishes. It reports when it has the request and when the
// proxy has closed the connection.
func stallOrigin(t *testing.T, head string) (addr string, got, closed chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got, closed = make(chan struct{}, 1), make(chan struct{}, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, head)
		got <- struct{}{}
		_, _ = io.Copy(io.Discard, br) // until the proxy closes its side
		closed <- struct{}{}
	}()
	return ln.Addr().String(), got, closed
}

// A client that gives up while the origin is silent must not leave the
// upstream (a tunnel stream, in the product) open: before the response head
// and in the middle of a body.
func TestForwardClientGoneClosesUpstream(t *testing.T) {
	for name, head := range map[string]string{
		"no answer":      "",
		"body never end": "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial",
	} {
		t.Run(name, func(t *testing.T) {
			target, got, closed := stallOrigin(t, head)
			addrs := serve(t, &Server{Dial: (&recDial{target: target}).dial})
			c := dialProxy(t, addrs[0])
			c.send("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("the origin never got the request")
			}
			if head != "" { // the head has reached the client before it leaves
				if _, err := readHead(c); err != nil {
					t.Fatal(err)
				}
			}
			c.c.Close()
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatal("the client left 10 s ago and the upstream connection is still open")
			}
		})
	}
}

// A 407 to a CONNECT closes the connection: the bytes the client sent after
// its CONNECT (a TLS hello) are tunnel data and must not be read as HTTP.
func TestConnect407ClosesConnection(t *testing.T) {
	rd := &recDial{target: origin(t, nil)}
	addrs := serve(t, &Server{Dial: rd.dial, User: "u", Pass: "p"})
	c := dialProxy(t, addrs[0])
	c.send("CONNECT x.test:443 HTTP/1.1\r\nHost: x.test:443\r\n\r\n\x16\x03\x01\x00\x05hello")
	resp, _ := c.read("CONNECT")
	if resp.StatusCode != http.StatusProxyAuthRequired || !resp.Close {
		t.Fatalf("status %d, close %v; want 407 and close", resp.StatusCode, resp.Close)
	}
	if rest := c.readToEnd(); rest != "" {
		t.Fatalf("after the 407 the proxy answered the tunnel bytes as a request: %q", rest)
	}
}
