package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"go.uber.org/goleak"
	"golang.org/x/net/proxy"
)

// TestNoGoroutineLeak runs traffic through every inbound, stops client
// and server, and checks that every goroutine they started has ended.
func TestNoGoroutineLeak(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // runs after the pair's cleanups
	p := newPair(t, nil)
	p.waitUp()
	conn := p.socksDial(true, p.echo["4"])
	echoThrough(t, conn, []byte("leak check"))
	conn.Close()
	u, err := net.Dial("udp", p.cli.addr("udp", false))
	if err != nil {
		t.Fatal(err)
	}
	udpRoundTrip(t, u, []byte("datagram"))
	u.Close()
	held := p.socksDial(true, p.echo["6"]) // still open when everything stops
	defer held.Close()
	p.stopCli()
	p.cli.wait()
	p.stopSrv()
	p.srv.wait()
}

// TestGracefulDrain: on shutdown the server refuses new tunnels but lets a
// stream that is moving data finish.
func TestGracefulDrain(t *testing.T) {
	p := newPair(t, nil)
	p.waitUp()
	conn := p.socksDial(false, p.echo["4"])
	defer conn.Close()
	echoThrough(t, conn, []byte("before shutdown"))
	p.stopSrv() // SIGTERM equivalent: drain starts
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The listener closes at once: new tunnels are refused.
		c, err := net.DialTimeout("tcp", p.srv.addrs[0].String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The open stream keeps working during the drain.
	echoThrough(t, conn, []byte("during the drain"))
	conn.Close()
	done := make(chan struct{})
	go func() { p.srv.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not finish draining after its last stream closed")
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverLogged runs a client with USER/PASS and a server at debug
// level through successes and failures (wrong proxy password, wrong
// PREFIX) and greps every log line for the secrets.
func TestSecretsNeverLogged(t *testing.T) {
	var logs syncBuffer
	const pass = "s3cret-proxy-pass"
	p := &pair{t: t, echo: map[string]string{}, udpEcho: map[string]string{},
		log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	q := newPair(t, func(s, c *config.Config) { c.User, c.Pass = "alice", pass })
	p.scfg, p.ccfg, p.echo = q.scfg, q.ccfg, q.echo
	p.ccfg.SOCKS5Port, p.ccfg.HTTPPort, p.ccfg.WstunnelPort, p.ccfg.AdminAddr = 0, 0, 0, ""
	q.stopCli()
	q.cli.wait()
	p.startClient()
	p.waitUp()
	good, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), &proxy.Auth{User: "alice", Password: pass}, &net.Dialer{})
	conn, err := good.Dial("tcp", p.echo["4"])
	if err != nil {
		t.Fatal(err)
	}
	echoThrough(t, conn, []byte("authorised"))
	conn.Close()
	bad, _ := proxy.SOCKS5("tcp", p.cli.addr("socks5", false), &proxy.Auth{User: "alice", Password: "wrong-" + pass}, &net.Dialer{})
	if c, err := bad.Dial("tcp", p.echo["4"]); err == nil {
		c.Close()
		t.Fatal("wrong password accepted")
	}
	// A second client with a wrong PREFIX fails against the same server.
	wrong := *p.ccfg
	wrong.Prefix = p.scfg.Prefix + "x"
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := startClient(ctx, p.log, &wrong, modeProxy)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 3*time.Second)
	rc.c.DialContext(dctx, "tcp", p.echo["4"])
	dcancel()
	cancel()
	rc.wait()
	out := logs.String()
	for name, secret := range map[string]string{"PREFIX": p.scfg.Prefix, "PASS": pass} {
		if strings.Contains(out, secret) {
			t.Errorf("%s appears in the logs", name)
		}
	}
	if !strings.Contains(out, "404") && !strings.Contains(out, "tunnel") {
		t.Fatalf("the logs do not cover the failures (%d bytes)", len(out))
	}
}
