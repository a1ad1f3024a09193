package httpproxy

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// TestConnect pipelines data behind the CONNECT request in one write.
func TestConnect(t *testing.T) {
	rd := &recDial{target: echoServer(t)}
	addrs := serve(t, &Server{Dial: rd.dial})
	targets := []string{"x.test:443", "[2001:db8::1]:443", "192.0.2.1:8443"}
	for i, lb := range loopbacks {
		for _, target := range targets {
			t.Run(lb.name+"/"+target, func(t *testing.T) {
				c := dialProxy(t, addrs[i])
				c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\nhello")
				const ok = "HTTP/1.1 200 Connection established\r\n\r\n"
				buf := make([]byte, len(ok)+5)
				if _, err := io.ReadFull(c.br, buf); err != nil || string(buf) != ok+"hello" {
					t.Fatalf("got %q, %v; want %q", buf, err, ok+"hello")
				}
				if d := rd.dialed(); d[len(d)-1] != "tcp "+target {
					t.Errorf("dialled %q, want %q", d[len(d)-1], "tcp "+target)
				}
				c.send(" again")
				c.c.CloseWrite()
				if rest := c.readToEnd(); rest != " again" {
					t.Errorf("after half-close got %q, want the echo then EOF", rest)
				}
			})
		}
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		code   netx.Code
		status int
	}{
		{netx.Denied, 403},
		{netx.NetUnreachable, 502},
		{netx.HostUnreachable, 502},
		{netx.NotFound, 502},
		{netx.NoFamily, 502},
		{netx.Timeout, 504},
		{netx.Refused, 502},
		{netx.TunnelDown, 502},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &netx.DialError{Code: tc.code, Addr: "example.com:443", Msg: "detail\nsecond line"})
			addrs := serve(t, &Server{Dial: (&recDial{err: err}).dial})
			for i, req := range []string{
				"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
				"GET http://example.com:443/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
			} {
				c := dialProxy(t, addrs[i])
				resp, body := c.do(req)
				want := fmt.Sprintf("%d %s: %s\n", tc.status, http.StatusText(tc.status), strings.ReplaceAll(err.Error(), "\n", " "))
				if resp.StatusCode != tc.status || body != want {
					t.Errorf("%s: %d %q, want %d %q", strings.Fields(req)[0], resp.StatusCode, body, tc.status, want)
				}
			}
		})
	}
}

func TestAuth(t *testing.T) {
	rd := &recDial{target: origin(t, nil)}
	addrs := serve(t, &Server{Dial: rd.dial, User: "alice", Pass: "s3cret",
		PAC: func() ([]byte, string) { return []byte("function FindProxyForURL(){}"), "v1" }})
	basic := func(s string) string {
		return "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(s)) + "\r\n"
	}
	tests := []struct {
		name, req, auth string
		want            int
	}{
		{"good", "GET http://a.test/ HTTP/1.1", basic("alice:s3cret"), 200},
		{"none", "GET http://a.test/ HTTP/1.1", "", 407},
		{"wrong pass", "GET http://a.test/ HTTP/1.1", basic("alice:s3cre"), 407},
		{"wrong user", "GET http://a.test/ HTTP/1.1", basic("bob:s3cret"), 407},
		{"no colon", "GET http://a.test/ HTTP/1.1", basic("alices3cret"), 407},
		{"not base64", "GET http://a.test/ HTTP/1.1", "Proxy-Authorization: Basic !!!\r\n", 407},
		{"connect none", "CONNECT a.test:443 HTTP/1.1", "", 407},
		{"pac needs none", "GET /proxy.pac HTTP/1.1", "", 200},
	}
	for i, lb := range loopbacks {
		for _, tc := range tests {
			c := dialProxy(t, addrs[i])
			resp, _ := c.do(tc.req + "\r\nHost: a.test\r\n" + tc.auth + "\r\n")
			if resp.StatusCode != tc.want {
				t.Errorf("%s/%s: %d, want %d", lb.name, tc.name, resp.StatusCode, tc.want)
			}
			if tc.want == 407 && resp.Header.Get("Proxy-Authenticate") != `Basic realm="autovpn"` {
				t.Errorf("%s/%s: Proxy-Authenticate %q", lb.name, tc.name, resp.Header.Get("Proxy-Authenticate"))
			}
		}
	}
	if d := rd.dialed(); len(d) != 2 {
		t.Errorf("dialled %q, want only the two authorised requests", d)
	}
}

func TestPAC(t *testing.T) {
	const script = "function FindProxyForURL(url, host) { return \"DIRECT\"; }"
	addrs := serve(t, &Server{Dial: (&recDial{}).dial,
		PAC: func() ([]byte, string) { return []byte(script), "abc" }})
	for i, lb := range loopbacks {
		c := dialProxy(t, addrs[i])
		resp, body := c.do("GET /proxy.pac HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if resp.StatusCode != 200 || body != script || resp.Header.Get("ETag") != `"abc"` ||
			resp.Header.Get("Content-Type") != "application/x-ns-proxy-autoconfig" {
			t.Errorf("%s: %d %q ETag %q type %q", lb.name, resp.StatusCode, body, resp.Header.Get("ETag"), resp.Header.Get("Content-Type"))
		}
		if resp, _ := c.do("GET /proxy.pac HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"abc\"\r\n\r\n"); resp.StatusCode != 304 {
			t.Errorf("%s: If-None-Match with the ETag: %d, want 304", lb.name, resp.StatusCode)
		}
		if resp, _ := c.do("GET /proxy.pac HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"old\"\r\n\r\n"); resp.StatusCode != 200 {
			t.Errorf("%s: stale If-None-Match: %d, want 200", lb.name, resp.StatusCode)
		}
		if resp, _ := c.do("POST /proxy.pac HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"); resp.StatusCode != 405 {
			t.Errorf("%s: POST: %d, want 405", lb.name, resp.StatusCode)
		}
	}
}

// TestHostile: malformed requests get a 4xx and dial nothing.
func TestHostile(t *testing.T) {
	rd := &recDial{err: errors.New("must not dial")}
	addrs := serve(t, &Server{Dial: rd.dial})
	tests := []struct {
		name, req string
		want      int
	}{
		{"garbage", "HELLO\r\n\r\n", 400},
		{"huge header", "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX: " + strings.Repeat("a", 100<<10) + "\r\n\r\n", 431},
		{"connect no port", "CONNECT a.test HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
		{"connect bare ipv6", "CONNECT 2001:db8::1:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"connect big port", "CONNECT a.test:99999 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"connect unclosed bracket", "CONNECT [::1:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"connect path", "CONNECT /a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"space in host", "GET http://a%20b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	}
	for i, lb := range loopbacks {
		for _, tc := range tests {
			c := dialProxy(t, addrs[i])
			c.send(tc.req)
			resp, err := readHead(c)
			if err != nil || resp.StatusCode != tc.want {
				t.Errorf("%s/%s: %v %v, want %d", lb.name, tc.name, resp, err, tc.want)
			}
		}
	}
	if d := rd.dialed(); len(d) != 0 {
		t.Errorf("hostile requests dialled %q", d)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	addrs := serve(t, &Server{Dial: (&recDial{}).dial, HandshakeTimeout: 50 * time.Millisecond})
	for _, addr := range addrs {
		c := dialProxy(t, addr)
		c.send("GET http://a.test/ HTTP/1.1\r\nHost: a") // and never the end of the head
		c.readToEnd()
	}
}

// TestShutdown: cancelling Serve closes a live CONNECT relay.
func TestShutdown(t *testing.T) {
	rd := &recDial{target: echoServer(t)}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Dial: rd.dial}).Serve(ctx, ln) }()
	c := dialProxy(t, ln.Addr().String())
	if resp, err := (func() (*http.Response, error) {
		c.send("CONNECT a.test:1 HTTP/1.1\r\nHost: a.test:1\r\n\r\n")
		return readHead(c)
	})(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	idle := dialProxy(t, ln.Addr().String()) // a keep-alive client between requests
	if resp, _ := idle.do("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"); resp.StatusCode != 404 {
		t.Fatalf("GET /x: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	c.readToEnd()
	idle.readToEnd()
}

func TestServeErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Server{}).Serve(context.Background(), ln); err == nil || !strings.Contains(err.Error(), "Dial") {
		t.Errorf("Serve without Dial = %v, want an error naming Dial", err)
	}
	done := make(chan error, 1)
	go func() { done <- (&Server{Dial: (&recDial{}).dial}).Serve(context.Background(), ln) }()
	ln.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve after listener closed = %v, want net.ErrClosed", err)
	}
}
