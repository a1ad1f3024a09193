package socks5

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestUnsupported(t *testing.T) {
	addrs := serve(t, &Server{Dial: (&recDial{err: errors.New("must not dial")}).dial})
	tests := []struct {
		name string
		req  []byte
		want byte
	}{
		{"bind", []byte{5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, 0x07},
		{"udp without ListenPacket", []byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, 0x07},
		{"unknown command", []byte{5, 9, 0, 1, 127, 0, 0, 1, 0, 80}, 0x07},
		{"unknown atyp", []byte{5, 1, 0, 5, 1, 2, 3, 4, 0, 80}, 0x08},
		{"bad domain", append(append([]byte{5, 1, 0, 3, 5}, "a:b/c"...), 0, 80), 0x08},
		{"request version", []byte{4, 1, 0, 1, 127, 0, 0, 1, 0, 80}, 0x01},
	}
	for i, lb := range loopbacks {
		for _, tc := range tests {
			t.Run(lb.name+"/"+tc.name, func(t *testing.T) {
				c := dialProxy(t, addrs[i])
				greet(t, c)
				mustWrite(t, c, tc.req)
				if rep, _ := readReply(t, c); rep != tc.want {
					t.Errorf("reply %#02x, want %#02x", rep, tc.want)
				}
				readToEnd(t, c)
			})
		}
	}
}

// TestHostile sends malformed input, half-closes, and expects exactly the
// given bytes back before the server closes the connection.
func TestHostile(t *testing.T) {
	tests := []struct {
		name string
		auth bool
		in   []byte
		want []byte
	}{
		{"wrong version", false, []byte{4, 1, 0, 0, 80, 127, 0, 0, 1, 0}, nil},
		{"zero methods", false, []byte{5, 0}, []byte{5, 0xff}},
		{"truncated greeting", false, []byte{5, 3, 0}, nil},
		{"empty", false, nil, nil},
		{"truncated request", false, []byte{5, 1, 0, 5, 1, 0, 1, 127}, []byte{5, 0}},
		{"truncated domain", false, []byte{5, 1, 0, 5, 1, 0, 3, 200, 'a'}, []byte{5, 0}},
		{"auth wrong version", true, []byte{5, 1, 2, 5, 1, 'a', 1, 'b'}, []byte{5, 2}},
		{"auth truncated", true, []byte{5, 1, 2, 1, 10, 'a'}, []byte{5, 2}},
		{"auth overlong claims", true, append([]byte{5, 1, 2, 1, 255}, bytes.Repeat([]byte("x"), 300)...), []byte{5, 2}},
		{"255 methods none good", false, append([]byte{5, 255}, bytes.Repeat([]byte{0x80}, 255)...), []byte{5, 0xff}},
	}
	plain := serve(t, &Server{Dial: (&recDial{err: errors.New("must not dial")}).dial})
	authed := serve(t, &Server{Dial: (&recDial{err: errors.New("must not dial")}).dial, User: "u", Pass: "p"})
	for i, lb := range loopbacks {
		for _, tc := range tests {
			t.Run(lb.name+"/"+tc.name, func(t *testing.T) {
				addr := plain[i]
				if tc.auth {
					addr = authed[i]
				}
				c := dialProxy(t, addr)
				mustWrite(t, c, tc.in)
				c.CloseWrite()
				if got := readToEnd(t, c); !bytes.Equal(got, tc.want) {
					t.Errorf("got %x, want %x then close", got, tc.want)
				}
			})
		}
	}
}

// TestHandshakeTimeout: a client that stalls mid-handshake is dropped.
func TestHandshakeTimeout(t *testing.T) {
	addrs := serve(t, &Server{Dial: (&recDial{}).dial, HandshakeTimeout: 50 * time.Millisecond})
	for _, addr := range addrs {
		c := dialProxy(t, addr)
		mustWrite(t, c, []byte{5, 1}) // and never the method
		if got := readToEnd(t, c); len(got) != 0 {
			t.Errorf("got %x, want a silent close", got)
		}
	}
}

// TestShutdown: cancelling Serve closes live relays and the listener.
func TestShutdown(t *testing.T) {
	rd := &recDial{target: echoServer(t)}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Dial: rd.dial}).Serve(ctx, ln) }()
	c := dialProxy(t, ln.Addr().String())
	greet(t, c)
	mustWrite(t, c, connectTargets[0].req)
	if rep, _ := readReply(t, c); rep != 0 {
		t.Fatalf("reply %#02x", rep)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("client connection still open after shutdown")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepting after shutdown")
	}
}

func TestServeErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Server{}).Serve(context.Background(), ln); err == nil || !strings.Contains(err.Error(), "Dial") {
		t.Errorf("Serve without Dial = %v, want an error naming Dial", err)
	}
	done := make(chan error, 1)
	go func() { done <- (&Server{Dial: (&recDial{}).dial}).Serve(context.Background(), ln) }()
	ln.Close()
	if err := <-done; err == nil || !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve after listener closed = %v, want net.ErrClosed", err)
	}
}
