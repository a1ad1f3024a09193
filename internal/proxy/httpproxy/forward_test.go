package httpproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestForward sends requests to different hosts on one client connection.
func TestForward(t *testing.T) {
	rd := &recDial{target: origin(t, nil)}
	addrs := serve(t, &Server{Dial: rd.dial})
	targets := []struct{ url, dial, host, uri string }{
		{"http://a.test/one?x=1", "a.test:80", "a.test", "/one?x=1"},
		{"http://b.test:8080/two", "b.test:8080", "b.test:8080", "/two"},
		{"http://[2001:db8::1]:81/", "[2001:db8::1]:81", "[2001:db8::1]:81", "/"},
		{"http://192.0.2.1/three", "192.0.2.1:80", "192.0.2.1", "/three"},
		{"http://192.0.2.1:80/again", "192.0.2.1:80", "192.0.2.1:80", "/again"},
	}
	for i, lb := range loopbacks {
		t.Run(lb.name, func(t *testing.T) {
			before := len(rd.dialed())
			c := dialProxy(t, addrs[i])
			for _, tg := range targets {
				resp, body := c.do(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: wrong.test\r\n\r\n", tg.url))
				if resp.StatusCode != 200 || body != "" || resp.Close {
					t.Fatalf("%s: %d close=%v %q", tg.url, resp.StatusCode, resp.Close, body)
				}
				if h, u := resp.Header.Get("X-Seen-Host"), resp.Header.Get("X-Seen-URI"); h != tg.host || u != tg.uri {
					t.Errorf("%s: origin saw Host %q URI %q, want %q %q", tg.url, h, u, tg.host, tg.uri)
				}
			}
			var want []string
			for _, tg := range targets[:4] { // the last one reuses the upstream of the one before
				want = append(want, "tcp "+tg.dial)
			}
			if got := rd.dialed()[before:]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("dialled %q, want %q", got, want)
			}
		})
	}
}

func TestHopByHop(t *testing.T) {
	addrs := serve(t, &Server{Dial: (&recDial{target: origin(t, nil)}).dial})
	c := dialProxy(t, addrs[1])
	resp, _ := c.do("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Drop\r\n" +
		"X-Drop: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nProxy-Authorization: Basic eDp5\r\n" +
		"Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-Keep: 1\r\n\r\n")
	if got := resp.Header.Get("X-Seen-Headers"); got != "X-Keep" {
		t.Errorf("origin saw headers %q, want only X-Keep (and no Go User-Agent)", got)
	}
	if resp.Header.Get("X-Resp-Drop") != "" {
		t.Error("response header named in the origin's Connection was forwarded")
	}
}

func TestRequestBodies(t *testing.T) {
	addrs := serve(t, &Server{Dial: (&recDial{target: origin(t, nil)}).dial})
	tests := []struct {
		name, head, body, want, length, te string
	}{
		{"chunked", "Transfer-Encoding: chunked\r\n", "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", "hello world", "-1", "chunked"},
		{"length", "Content-Length: 11\r\n", "hello world", "hello world", "11", ""},
	}
	for i, lb := range loopbacks {
		c := dialProxy(t, addrs[i])
		for _, tc := range tests {
			resp, body := c.do("POST http://a.test/up HTTP/1.1\r\nHost: a.test\r\n" + tc.head + "\r\n" + tc.body)
			if body != tc.want || resp.Header.Get("X-Seen-Length") != tc.length || resp.Header.Get("X-Seen-TE") != tc.te {
				t.Errorf("%s/%s: origin echoed %q with length %s TE %q; want %q %s %q", lb.name, tc.name, body,
					resp.Header.Get("X-Seen-Length"), resp.Header.Get("X-Seen-TE"), tc.want, tc.length, tc.te)
			}
		}
	}
}

// TestStreaming: the first part of a response arrives before the origin
// has written the rest.
func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	addrs := serve(t, &Server{Dial: (&recDial{target: origin(t, release)}).dial})
	c := dialProxy(t, addrs[0])
	c.send("GET http://a.test/stream HTTP/1.1\r\nHost: a.test\r\n\r\n")
	resp, err := readHead(c)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
		close(release)
		t.Fatalf("first part %q, %v", buf, err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
}

func TestForwardRejects(t *testing.T) {
	rd := &recDial{target: origin(t, nil)}
	addrs := serve(t, &Server{Dial: rd.dial})
	tests := []struct {
		req  string
		want int
	}{
		{"GET https://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
		{"GET http://a.test:0/ HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
		{"GET http://a_b!.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
		{"GET /other HTTP/1.1\r\nHost: a.test\r\n\r\n", 404},
		{"GET /proxy.pac HTTP/1.1\r\nHost: a.test\r\n\r\n", 404},
	}
	for _, tc := range tests {
		c := dialProxy(t, addrs[0])
		if resp, body := c.do(tc.req); resp.StatusCode != tc.want || !strings.HasPrefix(body, fmt.Sprint(tc.want)) {
			t.Errorf("%q: %d %q, want %d", tc.req, resp.StatusCode, body, tc.want)
		}
	}
	if d := rd.dialed(); len(d) != 0 {
		t.Errorf("rejected requests dialled %q", d)
	}
}

// rawOrigin answers every connection with reply (after reading the request
// head) and closes it.
func rawOrigin(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			http.ReadRequest(bufio.NewReader(c))
			io.WriteString(c, reply)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestUpstreamFailures(t *testing.T) {
	t.Run("no response", func(t *testing.T) {
		addrs := serve(t, &Server{Dial: (&recDial{target: rawOrigin(t, "")}).dial})
		c := dialProxy(t, addrs[0])
		resp, body := c.do("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if resp.StatusCode != 502 || !strings.HasPrefix(body, "502 Bad Gateway: upstream a.test:80: ") {
			t.Errorf("%d %q, want 502 naming the upstream", resp.StatusCode, body)
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		reply := "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"
		addrs := serve(t, &Server{Dial: (&recDial{target: rawOrigin(t, reply)}).dial})
		c := dialProxy(t, addrs[1])
		c.send("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
		resp, err := readHead(c)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("truncated upstream body arrived as a complete %d-byte response", len(b))
		}
	})
	for name, reply := range map[string]string{
		"origin closes":  "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		"stale upstream": "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", // then closes unannounced
	} {
		t.Run(name, func(t *testing.T) { reuse(t, reply) })
	}
}

// reuse makes two requests to an origin that closes after each response.
func reuse(t *testing.T, reply string) {
	rd := &recDial{target: rawOrigin(t, reply)}
	addrs := serve(t, &Server{Dial: rd.dial})
	c := dialProxy(t, addrs[1])
	for range 2 {
		if resp, body := c.do("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"); resp.StatusCode != 200 || body != "ok" || resp.Close {
			t.Errorf("%d %q close=%v, want 200 ok on a kept client connection", resp.StatusCode, body, resp.Close)
		}
	}
	if d := rd.dialed(); len(d) != 2 {
		t.Errorf("dialled %q, want a new upstream for the second request", d)
	}
}
