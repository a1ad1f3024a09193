package socks5

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/autovpn/autovpn/internal/netx"
)

// Requests as a client sends them after the greeting, and the address the
// dial function must receive.
var connectTargets = []struct {
	name string
	req  []byte
	want string
}{
	{"ipv4", []byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}, "192.0.2.1:80"},
	{"ipv6", []byte{5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, "[2001:db8::1]:443"},
	{"domain", append(append([]byte{5, 1, 0, 3, 11}, "example.com"...), 0x1f, 0x90), "example.com:8080"},
	{"ipv6-as-domain", append(append([]byte{5, 1, 0, 3, 3}, "::1"...), 0, 80), "[::1]:80"},
}

func TestConnect(t *testing.T) {
	rd := &recDial{target: echoServer(t)}
	addrs := serve(t, &Server{Dial: rd.dial})
	for i, lb := range loopbacks {
		for _, tc := range connectTargets {
			t.Run(lb.name+"/"+tc.name, func(t *testing.T) {
				c := dialProxy(t, addrs[i])
				greet(t, c)
				mustWrite(t, c, tc.req)
				rep, bnd := readReply(t, c)
				if rep != 0 {
					t.Fatalf("reply %#02x, want 0x00", rep)
				}
				got, remote := rd.last()
				if got != "tcp "+tc.want {
					t.Errorf("dial got %q, want %q", got, "tcp "+tc.want)
				}
				if bnd != remote.LocalAddr().String() {
					t.Errorf("BND %s, want the remote conn's local address %s", bnd, remote.LocalAddr())
				}
				mustWrite(t, c, []byte("ping"))
				if got := mustRead(t, c, 4); string(got) != "ping" {
					t.Errorf("echo %q, want ping", got)
				}
				c.CloseWrite()
				if rest := readToEnd(t, c); len(rest) != 0 {
					t.Errorf("after half-close got %q, want EOF", rest)
				}
			})
		}
	}
}

func TestConnectDialErrors(t *testing.T) {
	tests := []struct {
		code netx.Code
		want byte
	}{
		{netx.Denied, 0x02},
		{netx.NetUnreachable, 0x03},
		{netx.HostUnreachable, 0x04},
		{netx.NotFound, 0x04},
		{netx.NoFamily, 0x04},
		{netx.Timeout, 0x04},
		{netx.Refused, 0x05},
		{netx.TunnelDown, 0x01},
		{netx.GeneralFailure, 0x01},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &netx.DialError{Code: tc.code, Addr: "example.com:443"})
			addrs := serve(t, &Server{Dial: (&recDial{err: err}).dial})
			for _, addr := range addrs {
				c := dialProxy(t, addr)
				greet(t, c)
				mustWrite(t, c, connectTargets[2].req)
				rep, bnd := readReply(t, c)
				if rep != tc.want || bnd != "0.0.0.0:0" {
					t.Errorf("reply %#02x %s, want %#02x 0.0.0.0:0", rep, bnd, tc.want)
				}
				if rest := readToEnd(t, c); len(rest) != 0 {
					t.Errorf("after reply got %x, want close", rest)
				}
			}
		})
	}
	t.Run("plain error", func(t *testing.T) {
		addrs := serve(t, &Server{Dial: (&recDial{err: errors.New("boom")}).dial})
		c := dialProxy(t, addrs[0])
		greet(t, c)
		mustWrite(t, c, connectTargets[0].req)
		if rep, _ := readReply(t, c); rep != 0x01 {
			t.Errorf("reply %#02x, want 0x01", rep)
		}
	})
}

func TestAuth(t *testing.T) {
	rd := &recDial{target: echoServer(t)}
	addrs := serve(t, &Server{Dial: rd.dial, User: "alice", Pass: "s3cret"})
	up := func(u, p string) []byte {
		b := append([]byte{1, byte(len(u))}, u...)
		return append(append(b, byte(len(p))), p...)
	}
	tests := []struct {
		name    string
		methods []byte
		auth    []byte
		want    []byte // method reply + auth reply
		ok      bool
	}{
		{"good", []byte{0, 2}, up("alice", "s3cret"), []byte{5, 2, 1, 0}, true},
		{"wrong pass", []byte{2}, up("alice", "s3cre"), []byte{5, 2, 1, 1}, false},
		{"wrong user", []byte{2}, up("bob", "s3cret"), []byte{5, 2, 1, 1}, false},
		{"empty", []byte{2}, up("", ""), []byte{5, 2, 1, 1}, false},
		{"no auth offered", []byte{0}, nil, []byte{5, 0xff}, false},
	}
	for i, lb := range loopbacks {
		for _, tc := range tests {
			t.Run(lb.name+"/"+tc.name, func(t *testing.T) {
				c := dialProxy(t, addrs[i])
				mustWrite(t, c, append(append([]byte{5, byte(len(tc.methods))}, tc.methods...), tc.auth...))
				if got := mustRead(t, c, len(tc.want)); !bytes.Equal(got, tc.want) {
					t.Fatalf("replies %x, want %x", got, tc.want)
				}
				if !tc.ok {
					if rest := readToEnd(t, c); len(rest) != 0 {
						t.Errorf("after refusal got %x, want close", rest)
					}
					return
				}
				mustWrite(t, c, connectTargets[0].req)
				if rep, _ := readReply(t, c); rep != 0 {
					t.Fatalf("reply %#02x after auth, want 0", rep)
				}
			})
		}
	}
}
