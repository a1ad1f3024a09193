package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/proxy/socks5"
	"golang.org/x/net/proxy"
)

var families = []struct {
	name string
	v6   bool
}{{"ipv4", false}, {"ipv6", true}}

// echoThrough writes msg through conn and expects it back.
func echoThrough(t *testing.T, conn net.Conn, msg []byte) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo corrupted")
	}
}

func TestSOCKS5EndToEnd(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	for _, lf := range families {
		for _, df := range []string{"4", "6"} {
			t.Run(lf.name+"-listener-to-ipv"+df, func(t *testing.T) {
				d, err := proxy.SOCKS5("tcp", p.cli.addr("socks5", lf.v6), nil, &net.Dialer{})
				if err != nil {
					t.Fatal(err)
				}
				conn, err := d.Dial("tcp", p.echo[df])
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				echoThrough(t, conn, bytes.Repeat([]byte("x"), 256<<10))
			})
		}
	}
}

func TestHTTPProxyEndToEnd(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	web := map[string]string{}
	for fam, host := range map[string]string{"4": "127.0.0.1", "6": "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "path=%s", r.URL.Path)
		})}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		web[fam] = ln.Addr().String()
	}
	for _, lf := range families {
		px := p.cli.addr("http", lf.v6)
		for _, df := range []string{"4", "6"} {
			t.Run(lf.name+"-forward-ipv"+df, func(t *testing.T) {
				cl := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: px})}, Timeout: 10 * time.Second}
				for i := 0; i < 2; i++ { // second request reuses the proxy connection
					resp, err := cl.Get("http://" + web[df] + "/hello")
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(body) != "path=/hello" {
						t.Fatalf("body %q", body)
					}
				}
			})
			t.Run(lf.name+"-connect-ipv"+df, func(t *testing.T) {
				conn, err := net.Dial("tcp", px)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", p.echo[df], p.echo[df])
				br := bufio.NewReader(conn)
				resp, err := http.ReadResponse(br, nil)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("CONNECT: %v %v", resp, err)
				}
				echoThrough(t, &bufConn{Conn: conn, r: br}, []byte("through connect"))
			})
		}
	}
}

func TestUDPForwardEndToEnd(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	for _, lf := range families {
		t.Run(lf.name, func(t *testing.T) {
			c, err := net.Dial("udp", p.cli.addr("udp", lf.v6))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, size := range []int{1, 1400} {
				msg := bytes.Repeat([]byte{byte(size)}, size)
				got := udpRoundTrip(t, c, msg)
				if !bytes.Equal(got, msg) {
					t.Fatalf("datagram of %d bytes came back as %d bytes", size, len(got))
				}
			}
		})
	}
}

// udpRoundTrip sends msg until an answer arrives (UDP may drop) or 10 s pass.
func udpRoundTrip(t *testing.T, c net.Conn, msg []byte) []byte {
	t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.Write(msg)
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			return buf[:n]
		}
	}
	t.Fatal("no datagram came back")
	return nil
}

func TestSOCKS5UDPEndToEnd(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	for _, lf := range families {
		for _, df := range []string{"4", "6"} {
			t.Run(lf.name+"-to-ipv"+df, func(t *testing.T) {
				ctrl, err := net.Dial("tcp", p.cli.addr("socks5", lf.v6))
				if err != nil {
					t.Fatal(err)
				}
				defer ctrl.Close()
				ctrl.SetDeadline(time.Now().Add(10 * time.Second))
				ctrl.Write([]byte{5, 1, 0})
				resp := make([]byte, 2)
				io.ReadFull(ctrl, resp)
				ctrl.Write([]byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0})
				_, relay, err := readSOCKSReply(ctrl)
				if err != nil {
					t.Fatal(err)
				}
				uc, err := net.Dial("udp", relay)
				if err != nil {
					t.Fatal(err)
				}
				defer uc.Close()
				for _, size := range []int{1, 1400} {
					payload := bytes.Repeat([]byte{7}, size)
					hdr, err := socks5.AppendUDPHeader(nil, p.udpEcho[df])
					if err != nil {
						t.Fatal(err)
					}
					got := udpRoundTrip(t, uc, append(hdr, payload...))
					_, body, err := socks5.ParseUDPHeader(got)
					if err != nil || !bytes.Equal(body, payload) {
						t.Fatalf("reply %d bytes, err %v", len(body), err)
					}
				}
			})
		}
	}
}

// readSOCKSReply reads a SOCKS5 reply and returns its code and address.
func readSOCKSReply(r io.Reader) (byte, string, error) {
	h := make([]byte, 4)
	if _, err := io.ReadFull(r, h); err != nil {
		return 0, "", err
	}
	var ip net.IP
	switch h[3] {
	case 1:
		ip = make(net.IP, 4)
	case 4:
		ip = make(net.IP, 16)
	default:
		return h[1], "", fmt.Errorf("reply atyp %d", h[3])
	}
	if _, err := io.ReadFull(r, ip); err != nil {
		return 0, "", err
	}
	pb := make([]byte, 2)
	io.ReadFull(r, pb)
	return h[1], net.JoinHostPort(ip.String(), fmt.Sprint(int(pb[0])<<8|int(pb[1]))), nil
}

// socksConnectCode runs a raw SOCKS5 CONNECT to host:port and returns the reply code.
func socksConnectCode(t *testing.T, px, target string) byte {
	t.Helper()
	conn, err := net.Dial("tcp", px)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	conn.Write([]byte{5, 1, 0})
	io.ReadFull(conn, make([]byte, 2))
	host, port, _ := net.SplitHostPort(target)
	req := []byte{5, 1, 0}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		req = append(append(req, 1), ip.To4()...)
	} else if ip != nil {
		req = append(append(req, 4), ip.To16()...)
	} else {
		req = append(append(req, 3, byte(len(host))), host...)
	}
	var pn int
	fmt.Sscan(port, &pn)
	req = append(req, byte(pn>>8), byte(pn))
	conn.Write(req)
	code, _, err := readSOCKSReply(conn)
	if err != nil {
		t.Fatalf("no SOCKS5 reply: %v", err)
	}
	return code
}

func httpConnectStatus(t *testing.T, px, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", px)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.StatusCode, string(body)
}

func TestPolicyDeniedDestinations(t *testing.T) {
	// The server allows only 127.0.0.1/32: ::1, private and metadata addresses are denied.
	p := newPair(t, func(s, c *config.Config) {
		s.AllowDestinations = s.AllowDestinations[:1]
	})
	p.waitUp()
	for _, target := range []string{p.echo["6"], "10.1.2.3:80", "169.254.169.254:80", "[::ffff:10.0.0.1]:80", "[fd00:ec2::254]:80"} {
		for _, lf := range families {
			if code := socksConnectCode(t, p.cli.addr("socks5", lf.v6), target); code != 0x02 {
				t.Errorf("SOCKS5 %s via %s: reply 0x%02x, want 0x02", target, lf.name, code)
			}
			if st, body := httpConnectStatus(t, p.cli.addr("http", lf.v6), target); st != http.StatusForbidden || !strings.Contains(body, "denied") {
				t.Errorf("HTTP CONNECT %s via %s: %d %q, want 403 naming the denial", target, lf.name, st, body)
			}
		}
	}
	// Allowed destination still works: the denial is about policy, not the tunnel.
	if code := socksConnectCode(t, p.cli.addr("socks5", false), p.echo["4"]); code != 0 {
		t.Fatalf("allowed destination: reply 0x%02x", code)
	}
}

func TestRefusedDestinationMapsToCode(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if code := socksConnectCode(t, p.cli.addr("socks5", false), closed); code != 0x05 {
		t.Fatalf("refused: SOCKS5 reply 0x%02x, want 0x05", code)
	}
	if st, _ := httpConnectStatus(t, p.cli.addr("http", true), closed); st != http.StatusBadGateway {
		t.Fatalf("refused: HTTP %d, want 502", st)
	}
}

func TestWrongPrefixIsRefused(t *testing.T) {
	p := newPair(t, func(s, c *config.Config) { c.Prefix = "wrong-prefix-123456" })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := p.cli.c.DialContext(ctx, "tcp", p.echo["4"])
	if err == nil || !strings.Contains(err.Error(), "tunnel") {
		t.Fatalf("dial with wrong prefix: %v, want tunnel down", err)
	}
	if st := p.cli.c.Status(); !strings.Contains(st.LastError, "404") {
		t.Fatalf("status should say the server answered 404, got %q", st.LastError)
	}
	if code := socksConnectCode(t, p.cli.addr("socks5", false), p.echo["4"]); code != 0x01 {
		t.Fatalf("SOCKS5 with tunnel down: 0x%02x, want 0x01", code)
	}
}

func TestProbesGetPlain404(t *testing.T) {
	p := newPair(t, nil)
	base := fmt.Sprintf("http://127.0.0.1:%d", p.scfg.ServerPort)
	var bodies []string
	tunnelPath := "/" + p.scfg.Prefix + "/v1"
	upgrade := func(key string) http.Header {
		return http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Protocol": {"autovpn.v1"}, "Sec-Websocket-Key": {key}}
	}
	for _, probe := range []struct {
		path string
		h    http.Header
	}{
		{"/", nil}, {tunnelPath, nil}, {"/" + p.scfg.Prefix, nil}, {"/x/v1", nil},
		// The right path with a malformed handshake: the same 404, not a
		// WebSocket library's 400 that would tell the path is real.
		{tunnelPath, upgrade("")},
		{tunnelPath, upgrade("c2hvcnQ=")},
		{"/x/v1", upgrade("dGhlIHNhbXBsZSBub25jZQ==")},
	} {
		path := probe.path
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range probe.h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("%s: %d, want 404", path, resp.StatusCode)
		}
		bodies = append(bodies, string(b)+resp.Header.Get("Content-Type"))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("404s differ: %q vs %q", b, bodies[0])
		}
	}
}

func TestTLSPin(t *testing.T) {
	dir := t.TempDir()
	cert, key, pin := writeCert(t, dir)
	p := newPair(t, func(s, c *config.Config) {
		s.TLS, s.TLSCert, s.TLSKey = true, cert, key
		c.TLS, c.TLSPin = true, pin
	})
	p.waitUp()
	d, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", true), nil, &net.Dialer{})
	conn, err := d.Dial("tcp", p.echo["6"])
	if err != nil {
		t.Fatal(err)
	}
	echoThrough(t, conn, []byte("over wss"))
	conn.Close()

	bad := append([]byte{}, pin...)
	bad[0] ^= 0xff
	q := newPair(t, func(s, c *config.Config) {
		s.TLS, s.TLSCert, s.TLSKey = true, cert, key
		c.TLS, c.TLSPin = true, bad
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := q.cli.c.DialContext(ctx, "tcp", q.echo["4"]); err == nil {
		t.Fatal("dial succeeded with a wrong TLS pin")
	}
	if st := q.cli.c.Status(); !strings.Contains(st.LastError, "TLS_PIN") {
		t.Fatalf("status should name the pin mismatch, got %q", st.LastError)
	}
}

func TestServerRestartReconnects(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	conn := p.socksDial(false, p.echo["4"])
	echoThrough(t, conn, []byte("before"))
	conn.Close()

	p.stopSrv()
	p.srv.wait()
	p.startServer()

	d, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), nil, &net.Dialer{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := d.Dial("tcp", p.echo["6"])
		if err == nil {
			echoThrough(t, conn, []byte("after restart"))
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection within 10s of the server restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bufConn reads through a bufio.Reader that may hold bytes already read.
type bufConn struct {
	net.Conn
	r io.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }
