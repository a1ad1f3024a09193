package testbed_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/testbed"
)

// roundTrip dials addr with dial, writes a line and expects it back.
func roundTrip(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr string) error {
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	return err
}

func TestPingBothFamilies(t *testing.T) {
	n := testbed.New(t, testbed.Chain(testbed.DualStack, "client", "server"))
	c, s := n.Host("client"), n.Host("server")
	for _, a := range []netip.Addr{s.V4, s.V6} {
		out := c.Run(t, "ping", "-c1", "-W2", a.String())
		if !strings.Contains(out, "1 received") {
			t.Errorf("ping %s: %s", a, out)
		}
	}
}

func TestTCPThroughRouter(t *testing.T) {
	n := testbed.New(t, testbed.Chain(testbed.DualStack, "client", "router", "dest"))
	c, d := n.Host("client"), n.Host("dest")
	ln := d.Listen(t, "tcp", "[::]:7000")
	peers := make(chan net.Addr, 2)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			peers <- conn.RemoteAddr()
			go func() { defer conn.Close(); _, _ = io.Copy(conn, conn) }()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tt := range []struct{ dst, src netip.Addr }{{d.V4, c.V4}, {d.V6, c.V6}} {
		if err := roundTrip(ctx, c.DialContext, netip.AddrPortFrom(tt.dst, 7000).String()); err != nil {
			t.Fatalf("client to %s: %v", tt.dst, err)
		}
		// The source proves the socket was made in the client namespace.
		got := (<-peers).(*net.TCPAddr).AddrPort().Addr().Unmap()
		if got != tt.src {
			t.Errorf("dest saw a connection from %s, want %s", got, tt.src)
		}
	}
}

func TestSingleFamilyLinks(t *testing.T) {
	tests := []struct {
		stack  testbed.Stack
		v4, v6 bool
	}{
		{testbed.IPv4Only, true, false},
		{testbed.IPv6Only, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.stack.String(), func(t *testing.T) {
			n := testbed.New(t, testbed.Chain(tt.stack, "client", "server"))
			c, s := n.Host("client"), n.Host("server")
			if s.V4.IsValid() != tt.v4 || s.V6.IsValid() != tt.v6 {
				t.Fatalf("server addresses V4=%v V6=%v; want v4 %v v6 %v", s.V4, s.V6, tt.v4, tt.v6)
			}
			addrs := c.Run(t, "ip", "-o", "addr", "show", "dev", c.Ifaces[0].Name)
			if got := strings.Contains(addrs, "inet6"); got != tt.v6 {
				t.Errorf("client has IPv6 addresses = %v, want %v:\n%s", got, tt.v6, addrs)
			}
		})
	}
}

func TestCleanupRemovesNamespaces(t *testing.T) {
	var id string
	t.Run("build", func(t *testing.T) {
		n := testbed.New(t, testbed.Chain(testbed.DualStack, "a", "b", "c"))
		id = n.ID
		n.Host("b").Start(t, "sleep", "60")
		n.Host("a").WriteResolvConf(t, n.Host("b").V4)
	})
	if id == "" {
		t.Skip("subtest skipped")
	}
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v: %s", err, out)
	}
	if strings.Contains(string(out), "tb"+id) {
		t.Errorf("namespaces of Net %s left behind:\n%s", id, out)
	}
	if out, _ := exec.Command("ls", "/etc/netns").CombinedOutput(); strings.Contains(string(out), id) {
		t.Errorf("/etc/netns entries of Net %s left behind: %s", id, out)
	}
}
