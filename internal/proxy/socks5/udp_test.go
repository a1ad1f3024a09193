package socks5

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// testPC is a netx.PacketConn over a real UDP socket. It maps the name
// echo.test to 127.0.0.1 (standing in for the far side's resolver) and
// records every destination it is asked for.
type testPC struct {
	conn   *net.UDPConn
	mu     sync.Mutex
	tos    []string
	closed chan struct{}
	once   sync.Once
}

func (p *testPC) WriteTo(b []byte, to string) (int, error) {
	p.mu.Lock()
	p.tos = append(p.tos, to)
	p.mu.Unlock()
	ap, err := netip.ParseAddrPort(strings.Replace(to, "echo.test", "127.0.0.1", 1))
	if err != nil {
		return 0, err
	}
	return p.conn.WriteToUDPAddrPort(b, ap)
}

func (p *testPC) ReadFrom(b []byte) (int, string, error) {
	n, from, err := p.conn.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()).String(), err
}

func (p *testPC) Close() error {
	p.once.Do(func() { close(p.closed) })
	return p.conn.Close()
}

func (p *testPC) destinations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tos...)
}

// udpEcho echoes datagrams on addr until cleanup.
func udpEcho(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			c.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c.LocalAddr().String()
}

// listenTestPC is a Server's ListenPacket: a testPC on a fresh UDP socket.
func listenTestPC(context.Context) (netx.PacketConn, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		return nil, err
	}
	return &testPC{conn: c, closed: make(chan struct{})}, nil
}

// associate opens a UDP association on the proxy at addr and returns the
// control connection and the relay address.
func associate(t *testing.T, addr string) (*net.TCPConn, *net.UDPAddr) {
	t.Helper()
	return associateDeclaring(t, addr, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
}

// associateDeclaring is associate with from (an IPv4 address) as the
// request's DST.ADDR:DST.PORT, the address the client says it sends from.
func associateDeclaring(t *testing.T, addr string, from netip.AddrPort) (*net.TCPConn, *net.UDPAddr) {
	t.Helper()
	c := dialProxy(t, addr)
	greet(t, c)
	ip := from.Addr().Unmap().As4()
	mustWrite(t, c, binary.BigEndian.AppendUint16(append([]byte{5, 3, 0, 1}, ip[:]...), from.Port()))
	rep, bnd := readReply(t, c)
	if rep != 0 {
		t.Fatalf("UDP ASSOCIATE reply %#02x", rep)
	}
	relay, err := net.ResolveUDPAddr("udp", bnd)
	if err != nil {
		t.Fatal(err)
	}
	return c, relay
}

func sendTo(t *testing.T, uc *net.UDPConn, relay *net.UDPAddr, frag byte, to string, payload []byte) {
	t.Helper()
	b, err := AppendUDPHeader(nil, to)
	if err != nil {
		t.Fatal(err)
	}
	b[2] = frag
	if _, err := uc.WriteToUDP(append(b, payload...), relay); err != nil {
		t.Fatal(err)
	}
}

func recvFrom(t *testing.T, uc *net.UDPConn) (string, []byte) {
	t.Helper()
	buf := make([]byte, 65536)
	uc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := uc.Read(buf)
	if err != nil {
		t.Fatalf("waiting for a datagram: %v", err)
	}
	from, payload, err := ParseUDPHeader(buf[:n])
	if err != nil {
		t.Fatalf("reply header: %v", err)
	}
	return from, payload
}

func TestUDPAssociate(t *testing.T) {
	echo4, echo6 := udpEcho(t, "127.0.0.1:0"), udpEcho(t, "[::1]:0")
	_, port4, _ := net.SplitHostPort(echo4)
	var pcs []*testPC
	var mu sync.Mutex
	listen := func(context.Context) (netx.PacketConn, error) {
		c, err := net.ListenUDP("udp", &net.UDPAddr{})
		if err != nil {
			return nil, err
		}
		p := &testPC{conn: c, closed: make(chan struct{})}
		mu.Lock()
		pcs = append(pcs, p)
		mu.Unlock()
		return p, nil
	}
	addrs := serve(t, &Server{Dial: (&recDial{}).dial, ListenPacket: listen})
	targets := []struct{ to, from string }{
		{echo4, echo4},
		{echo6, echo6},
		{"echo.test:" + port4, echo4},
	}
	for i, lb := range loopbacks {
		t.Run(lb.name, func(t *testing.T) {
			ctl, relay := associate(t, addrs[i])
			if want, _, _ := net.SplitHostPort(addrs[i]); relay.IP.String() != want {
				t.Errorf("relay address %s, want on %s", relay, want)
			}
			uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: relay.IP})
			if err != nil {
				t.Fatal(err)
			}
			defer uc.Close()
			for _, tg := range targets {
				for _, size := range []int{1, 1400} {
					payload := bytes.Repeat([]byte{byte(size)}, size)
					sendTo(t, uc, relay, 0, tg.to, payload)
					from, got := recvFrom(t, uc)
					if from != tg.from || !bytes.Equal(got, payload) {
						t.Errorf("to %s, %d bytes: reply from %s with %d bytes, want from %s, same payload", tg.to, size, from, len(got), tg.from)
					}
				}
			}
			mu.Lock()
			pc := pcs[len(pcs)-1]
			mu.Unlock()
			if dst := pc.destinations(); !containsString(dst, "echo.test:"+port4) {
				t.Errorf("packet conn destinations %q, want the name echo.test unresolved", dst)
			}
			checkDrops(t, uc, relay, echo4, lb.name == "ipv4")
			ctl.Close()
			select {
			case <-pc.closed:
			case <-time.After(5 * time.Second):
				t.Error("packet conn not closed after the control connection closed")
			}
		})
	}
}

// checkDrops sends datagrams the relay must drop, then a good one, and
// expects the good one to be the next that comes back.
func checkDrops(t *testing.T, uc *net.UDPConn, relay *net.UDPAddr, echo string, v4 bool) {
	t.Helper()
	sendTo(t, uc, relay, 1, echo, []byte("fragment"))
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: relay.IP})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sendTo(t, other, relay, 0, echo, []byte("other port"))
	if v4 {
		if foreign, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}); err == nil {
			sendTo(t, foreign, relay, 0, echo, []byte("other ip"))
			foreign.Close()
		}
	}
	bad := []byte{0, 0, 0, 9, 1, 2, 3}
	uc.WriteToUDP(bad, relay)
	sendTo(t, uc, relay, 0, echo, []byte("good"))
	if _, got := recvFrom(t, uc); string(got) != "good" {
		t.Errorf("got %q, want only the good datagram", got)
	}
}

func containsString(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

func TestUDPAssociateListenError(t *testing.T) {
	for _, tc := range []struct {
		code netx.Code
		want byte
	}{{netx.TunnelDown, 0x01}, {netx.Denied, 0x02}} {
		listen := func(context.Context) (netx.PacketConn, error) {
			return nil, &netx.DialError{Code: tc.code, Addr: "udp"}
		}
		addrs := serve(t, &Server{Dial: (&recDial{}).dial, ListenPacket: listen})
		c := dialProxy(t, addrs[1])
		greet(t, c)
		mustWrite(t, c, []byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0})
		if rep, _ := readReply(t, c); rep != tc.want {
			t.Errorf("%s: reply %#02x, want %#02x", tc.code, rep, tc.want)
		}
	}
}

// TestUDPForeignFirst: a datagram from another IP must not claim the
// association before the client's first one.
func TestUDPForeignFirst(t *testing.T) {
	foreign, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	defer foreign.Close()
	echo := udpEcho(t, "127.0.0.1:0")
	addrs := serve(t, &Server{Dial: (&recDial{}).dial, ListenPacket: listenTestPC})
	_, relay := associate(t, addrs[0])
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: relay.IP})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	sendTo(t, foreign, relay, 0, echo, []byte("foreign"))
	sendTo(t, uc, relay, 0, echo, []byte("client"))
	if _, got := recvFrom(t, uc); string(got) != "client" {
		t.Errorf("got %q, want the client's own echo", got)
	}
}

// A client that declares its UDP address in the request keeps the
// association: a datagram from another port of the same host, even one sent
// first, is dropped and gets nothing back.
func TestUDPAssociateDeclaredAddress(t *testing.T) {
	echo := udpEcho(t, "127.0.0.1:0")
	addrs := serve(t, &Server{Dial: (&recDial{}).dial, ListenPacket: listenTestPC})
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	_, relay := associateDeclaring(t, addrs[0], uc.LocalAddr().(*net.UDPAddr).AddrPort())
	intruder, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	sendTo(t, intruder, relay, 0, echo, []byte("intruder"))
	sendTo(t, uc, relay, 0, echo, []byte("client"))
	if _, got := recvFrom(t, uc); string(got) != "client" {
		t.Fatalf("the declared client got %q, want its own echo", got)
	}
	// The intruder's datagram went first; had it been relayed, its echo
	// would be back by now (the client's, sent after it, is).
	intruder.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := intruder.Read(make([]byte, 100)); err == nil {
		t.Fatalf("a datagram from another port of the client's host got an answer (%d bytes)", n)
	}
}
