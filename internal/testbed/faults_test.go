package testbed_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// dualPair is client–server, dual-stack, with an echo listener on port 7000
// of the server.
func dualPair(t *testing.T) (client, server *testbed.Host) {
	n := testbed.New(t, testbed.Chain(testbed.DualStack, "client", "server"))
	client, server = n.Host("client"), n.Host("server")
	ln := server.Listen(t, "tcp", "[::]:7000")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); buf := make([]byte, 64); n, _ := c.Read(buf); c.Write(buf[:n]) }()
		}
	}()
	return client, server
}

func dialEcho(h *testbed.Host, a netip.Addr, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return roundTrip(ctx, h.DialContext, netip.AddrPortFrom(a, 7000).String())
}

func TestDropFamilyTimesOutAndHeals(t *testing.T) {
	c, s := dualPair(t)
	drop := c.DropFamily(t, testbed.IPv6, s)
	err := dialEcho(c, s.V6, 300*time.Millisecond)
	if !isTimeout(err) {
		t.Errorf("IPv6 with IPv6 dropped: %v, want a timeout", err)
	}
	if err := dialEcho(c, s.V4, 5*time.Second); err != nil {
		t.Errorf("IPv4 with IPv6 dropped: %v", err)
	}
	drop.Heal()
	if err := dialEcho(c, s.V6, 5*time.Second); err != nil {
		t.Errorf("IPv6 after Heal: %v", err)
	}
}

func TestDropFamilyEveryone(t *testing.T) {
	c, s := dualPair(t)
	s.DropFamily(t, testbed.IPv4, nil)
	if err := dialEcho(c, s.V4, 300*time.Millisecond); !isTimeout(err) {
		t.Errorf("IPv4 with all IPv4 dropped at the server: %v, want a timeout", err)
	}
	if err := dialEcho(c, s.V6, 5*time.Second); err != nil {
		t.Errorf("IPv6 with IPv4 dropped: %v", err)
	}
}

func TestRejectFamilyFailsFast(t *testing.T) {
	tests := []struct {
		name string
		peer bool
	}{{"peer", true}, {"everyone", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := dualPair(t)
			peer := s
			if !tt.peer {
				peer = nil
			}
			reject := c.RejectFamily(t, testbed.IPv6, peer)
			// A long deadline: only a fast error, not a timeout, passes.
			err := dialEcho(c, s.V6, 30*time.Second)
			if !errors.Is(err, syscall.ENETUNREACH) {
				t.Errorf("IPv6 rejected: %v, want ENETUNREACH", err)
			}
			if err := dialEcho(c, s.V4, 5*time.Second); err != nil {
				t.Errorf("IPv4 with IPv6 rejected: %v", err)
			}
			reject.Heal()
			if err := dialEcho(c, s.V6, 5*time.Second); err != nil {
				t.Errorf("IPv6 after Heal: %v", err)
			}
		})
	}
}

func TestDropPercentLosesSome(t *testing.T) {
	c, s := dualPair(t)
	c.DropPercent(t, testbed.IPv4, 30)
	// 200 pings 1 ms apart.
	out, _ := c.Output("ping", "-c200", "-i0.001", "-W0.3", "-q", s.V4.String())
	received := pingReceived(t, out)
	if received == 0 || received == 200 {
		t.Errorf("%d of 200 pings answered with 30%% loss each way; want some but not all:\n%s", received, out)
	}
	t.Logf("%d of 200 answered", received)
	// The other family is untouched.
	out = c.Run(t, "ping", "-c20", "-i0.001", "-W0.3", "-q", s.V6.String())
	if got := pingReceived(t, out); got != 20 {
		t.Errorf("IPv6: %d of 20 answered with only IPv4 loss:\n%s", got, out)
	}
}

// pingReceived reads "N received" from ping's summary.
func pingReceived(t *testing.T, out string) int {
	t.Helper()
	for _, f := range strings.Split(out, ",") {
		if f = strings.TrimSpace(f); strings.HasSuffix(f, " received") {
			n, err := strconv.Atoi(strings.TrimSuffix(f, " received"))
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no received count in ping output:\n%s", out)
	return 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
