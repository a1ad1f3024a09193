package cli

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/nettest"
	"github.com/autovpn/autovpn/internal/tlsutil"
	"golang.org/x/net/proxy"
)

// pair is a real server and client on loopback, with echo destinations.
type pair struct {
	t       testing.TB
	scfg    *config.Config
	ccfg    *config.Config
	srv     *runningServer
	cli     *runningClient
	stopSrv context.CancelFunc
	stopCli context.CancelFunc
	echo    map[string]string // "4"/"6" → TCP echo addr
	udpEcho map[string]string // "4"/"6" → UDP echo addr
	log     *slog.Logger
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newPair starts echo destinations, a server and a client. mutate may
// change either config before start.
func newPair(t testing.TB, mutate func(s, c *config.Config)) *pair {
	t.Helper()
	p := &pair{t: t, echo: map[string]string{}, udpEcho: map[string]string{}, log: testLogger(t)}
	for fam, host := range map[string]string{"4": "127.0.0.1", "6": "::1"} {
		p.echo[fam] = startTCPEcho(t, host)
		p.udpEcho[fam] = startUDPEcho(t, host)
	}
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		t.Fatal(err)
	}
	prefix := config.NewPrefix()
	s := config.Default()
	s.Prefix, s.ServerPort = prefix, uint16(port)
	s.ServerListen = []string{"127.0.0.1:" + strconv.Itoa(port), "[::1]:" + strconv.Itoa(port)}
	s.AllowDestinations = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	_, up, _ := net.SplitHostPort(p.udpEcho["4"])
	upn, _ := strconv.Atoi(up)
	s.ServerRestrictPort = uint16(upn)
	c := config.Default()
	c.Prefix, c.ServerPort, c.ServerRestrictPort = prefix, uint16(port), uint16(upn)
	c.ServerHosts, c.ServerHostsV6 = []string{"127.0.0.1"}, []string{"::1"}
	c.SOCKS5Port, c.HTTPPort, c.WstunnelPort = 0, 0, 0
	c.AdminAddr = "127.0.0.1:0"
	c.KeepaliveInterval = time.Second
	if mutate != nil {
		mutate(s, c)
	}
	p.scfg, p.ccfg = s, c
	p.startServer()
	p.startClient()
	return p
}

func (p *pair) startServer() {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rs, err := startServer(ctx, p.log, p.scfg)
	if err != nil {
		cancel()
		p.t.Fatal(err)
	}
	p.srv, p.stopSrv = rs, cancel
	p.t.Cleanup(func() { cancel(); rs.wait() })
}

func (p *pair) startClient() {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := startClient(ctx, p.log, p.ccfg, modeCombined)
	if err != nil {
		cancel()
		p.t.Fatal(err)
	}
	p.cli, p.stopCli = rc, cancel
	p.t.Cleanup(func() { cancel(); rc.wait() })
}

// waitUp polls until the client has a tunnel.
func (p *pair) waitUp() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !p.cli.c.Up() {
		if time.Now().After(deadline) {
			p.t.Fatalf("tunnel not up within 10s: %+v", p.cli.c.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startTCPEcho(t testing.TB, host string) string { return nettest.TCPEcho(t, host) }

func startUDPEcho(t testing.TB, host string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().String()
}

// writeCert writes a self-signed pair into dir and returns paths and pin.
func writeCert(t testing.TB, dir string) (cert, key string, pin []byte) {
	t.Helper()
	c, k, err := tlsutil.GenerateSelfSigned([]string{"127.0.0.1", "::1", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, c, 0o600)
	os.WriteFile(key, k, 0o600)
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pair.Certificate[0])
	return cert, key, sum[:]
}

// socksDial connects to dst through the client's SOCKS5 listener on
// 127.0.0.1 (or [::1] with v6), failing the test on error.
func (p *pair) socksDial(v6 bool, dst string) net.Conn {
	p.t.Helper()
	d, err := proxy.SOCKS5("tcp", p.cli.addr("socks5", v6), nil, &net.Dialer{})
	if err != nil {
		p.t.Fatal(err)
	}
	conn, err := d.Dial("tcp", dst)
	if err != nil {
		p.t.Fatalf("SOCKS5 to %s: %v", dst, err)
	}
	return conn
}
