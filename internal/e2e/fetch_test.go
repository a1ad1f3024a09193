package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// reqTimeout bounds one request through a proxy.
const reqTimeout = 5 * time.Second

// serveWeb serves, on port 80 of every address of h, a page naming the
// address the request came from ("seen-from IP"), and accepts (and closes)
// connections on controlPort.
func serveWeb(t testing.TB, h *testbed.Host) {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "seen-from %s\n", netip.MustParseAddr(host).Unmap())
	}), ReadHeaderTimeout: 5 * time.Second}
	ln := h.Listen(t, "tcp", fmt.Sprintf("[::]:%d", webPort))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ctl := h.Listen(t, "tcp", fmt.Sprintf("[::]:%d", controlPort))
	go func() {
		for {
			c, err := ctl.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// serveUDPEcho answers every datagram to addr in h with "echo:" + payload.
func serveUDPEcho(t testing.TB, h *testbed.Host, addr string) {
	t.Helper()
	pc := h.ListenPacket(t, "udp", addr)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
}

// seenFrom extracts the address the web server saw.
func seenFrom(body string) string {
	s, _ := strings.CutPrefix(strings.TrimSpace(body), "seen-from ")
	return s
}

// dialIn dials from inside h with a timeout.
func dialIn(h *testbed.Host, network, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.DialContext(ctx, network, addr)
}

func mustAddrPort(host string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(host), uint16(port))
}

// result is the outcome of one request through a proxy.
type result struct {
	Reply  byte          // SOCKS5 reply code (SOCKS5 requests only)
	Status int           // HTTP status of the origin's (or the proxy's) answer
	Body   string        // response body
	TTFB   time.Duration // from the first dial to the first response byte
}

// socksGet fetches http://target/ through the SOCKS5 proxy at proxy
// (inside h). target is host:port: a name, an IPv4 or an IPv6 literal.
func socksGet(h *testbed.Host, proxy netip.AddrPort, target string) (result, error) {
	start := time.Now()
	conn, err := dialIn(h, "tcp", proxy.String(), reqTimeout)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	conn.SetDeadline(start.Add(reqTimeout))
	rep, err := socksConnect(conn, target)
	if err != nil || rep != 0 {
		return result{Reply: rep}, err
	}
	r, err := httpOver(conn, target, start)
	return r, err
}

// socksConnect performs a no-auth SOCKS5 CONNECT (RFC 1928) and returns
// the reply code.
func socksConnect(conn net.Conn, target string) (byte, error) {
	host, ps, err := net.SplitHostPort(target)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return 0, err
	}
	if _, err := conn.Write([]byte{5, 1, 0}); err != nil {
		return 0, err
	}
	var m [2]byte
	if _, err := io.ReadFull(conn, m[:]); err != nil || m != [2]byte{5, 0} {
		return 0, fmt.Errorf("SOCKS5 method reply %x: %v", m, err)
	}
	req := []byte{5, 1, 0}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		req = append(append(req, 1), ip.AsSlice()...)
	} else if err == nil {
		req = append(append(req, 4), ip.AsSlice()...)
	} else {
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return 0, fmt.Errorf("SOCKS5 reply to CONNECT %s: %w", target, err)
	}
	alen := map[byte]int{1: 4, 4: 16}[hdr[3]]
	if hdr[3] == 3 {
		var l [1]byte
		io.ReadFull(conn, l[:])
		alen = int(l[0])
	}
	if _, err := io.ReadFull(conn, make([]byte, alen+2)); err != nil && hdr[1] == 0 {
		return hdr[1], fmt.Errorf("SOCKS5 bound address: %w", err)
	}
	return hdr[1], nil
}

// httpOver sends GET / for host on conn and reads the answer; TTFB counts
// from start.
func httpOver(conn net.Conn, host string, start time.Time) (result, error) {
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
		return result{}, err
	}
	br := bufio.NewReader(conn)
	if _, err := br.Peek(1); err != nil {
		return result{}, fmt.Errorf("read answer from %s: %w", host, err)
	}
	r := result{TTFB: time.Since(start)}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r.Status, r.Body = resp.StatusCode, string(b)
	return r, err
}

// httpForward fetches rawURL through the HTTP proxy at proxy (forward mode).
func httpForward(h *testbed.Host, proxy netip.AddrPort, rawURL string) (result, error) {
	pu := &url.URL{Scheme: "http", Host: proxy.String()}
	hc := http.Client{Timeout: reqTimeout, Transport: &http.Transport{Proxy: http.ProxyURL(pu), DialContext: h.DialContext, DisableKeepAlives: true}}
	start := time.Now()
	resp, err := hc.Get(rawURL)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	r := result{Status: resp.StatusCode, TTFB: time.Since(start)}
	b, err := io.ReadAll(resp.Body)
	r.Body = string(b)
	return r, err
}

// httpConnect opens a CONNECT tunnel to target through the HTTP proxy at
// proxy and fetches / over it. A refused CONNECT returns the proxy's
// status and body.
func httpConnect(h *testbed.Host, proxy netip.AddrPort, target string) (result, error) {
	start := time.Now()
	conn, err := dialIn(h, "tcp", proxy.String(), reqTimeout)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	conn.SetDeadline(start.Add(reqTimeout))
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return result{}, fmt.Errorf("CONNECT %s: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return result{Status: resp.StatusCode, Body: string(b)}, nil
	}
	if br.Buffered() > 0 {
		return result{}, errors.New("CONNECT: bytes after the 200 before the request")
	}
	return httpOver(conn, target, start)
}

// udpRoundTrip sends payload to addr from inside h and returns the answer.
func udpRoundTrip(h *testbed.Host, addr netip.AddrPort, payload string) (string, error) {
	conn, err := dialIn(h, "udp", addr.String(), reqTimeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	buf := make([]byte, 2048)
	// The first datagram may race the forward's association: resend.
	for try := 0; try < 10; try++ {
		if _, err := conn.Write([]byte(payload)); err != nil {
			return "", err
		}
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if n, err := conn.Read(buf); err == nil {
			return string(buf[:n]), nil
		}
	}
	return "", fmt.Errorf("UDP %s: no answer to 10 datagrams", addr)
}
