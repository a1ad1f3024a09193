package httpproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autovpn/autovpn/internal/nettest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var loopbacks = []struct{ name, addr string }{
	{"ipv4", "127.0.0.1:0"},
	{"ipv6", "[::1]:0"},
}

// serve runs s on 127.0.0.1 and [::1]; cleanup stops it and checks Serve
// ended cleanly.
func serve(t *testing.T, s *Server) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, len(loopbacks))
	var addrs []string
	for _, lb := range loopbacks {
		ln, err := net.Listen("tcp", lb.addr)
		if err != nil {
			t.Fatalf("listen %s: %v", lb.addr, err)
		}
		addrs = append(addrs, ln.Addr().String())
		go func() { errs <- s.Serve(ctx, ln) }()
	}
	t.Cleanup(func() {
		cancel()
		for range loopbacks {
			if err := <-errs; err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		}
	})
	return addrs
}

// origin is a real HTTP server that reports what it received in X-Seen-*
// headers and echoes the request body. /stream sends one line, then waits
// for release before the second.
func origin(t *testing.T, release <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		h := w.Header()
		h.Set("X-Seen-Headers", strings.Join(names, ","))
		h.Set("X-Seen-Host", r.Host)
		h.Set("X-Seen-URI", r.RequestURI)
		h.Set("X-Seen-Length", strconv.FormatInt(r.ContentLength, 10))
		h.Set("X-Seen-TE", strings.Join(r.TransferEncoding, ","))
		h.Set("Connection", "X-Resp-Drop")
		h.Set("X-Resp-Drop", "1")
		if r.URL.Path == "/stream" {
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			<-release
			io.WriteString(w, "second\n")
			return
		}
		io.Copy(w, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// echoServer is a TCP echo server on 127.0.0.1; cleanup waits for it.
func echoServer(t *testing.T) string { return nettest.TCPEcho(t, "127.0.0.1") }

// recDial records what it is asked for and dials target (or returns err).
type recDial struct {
	target string
	err    error
	mu     sync.Mutex
	addrs  []string
}

func (r *recDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.addrs = append(r.addrs, network+" "+addr)
	r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", r.target)
}

func (r *recDial) dialed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// client is a raw HTTP/1.1 client connection to the proxy.
type client struct {
	t  *testing.T
	c  *net.TCPConn
	br *bufio.Reader
}

func dialProxy(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, c: c.(*net.TCPConn), br: bufio.NewReader(c)}
}

func (c *client) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, raw); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// do sends raw and reads one response and its whole body.
func (c *client) do(raw string) (*http.Response, string) {
	c.t.Helper()
	c.send(raw)
	return c.read(strings.Fields(raw)[0])
}

func (c *client) read(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// readToEnd reads until the server closes; a reset counts as a close.
func (c *client) readToEnd() string {
	c.t.Helper()
	b, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("waiting for the server to close: %v", err)
	}
	return string(b)
}

// readHead reads a response head and leaves its body unread.
func readHead(c *client) (*http.Response, error) {
	return http.ReadResponse(c.br, nil)
}
