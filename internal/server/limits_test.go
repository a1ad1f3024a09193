package server

import (
	"io"
	"net"
	"testing"
	"time"
)

func dialFrom(t *testing.T, src, dst string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer reports whether the server closed c (read returns EOF/reset).
func closedByPeer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestLimitListenerPerSource(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(raw, 3)
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	addr := raw.Addr().String()
	for i := 0; i < 3; i++ {
		dialFrom(t, "127.0.0.2", addr)
		<-accepted
	}
	extra := dialFrom(t, "127.0.0.2", addr)
	if !closedByPeer(extra) {
		t.Fatal("a 4th connection from the same source was not closed")
	}
	// Another source is unaffected by the flood.
	other := dialFrom(t, "127.0.0.3", addr)
	select {
	case c := <-accepted:
		if c.RemoteAddr().(*net.TCPAddr).IP.String() != "127.0.0.3" {
			t.Fatalf("accepted %v, want the other source", c.RemoteAddr())
		}
		// Closing a held connection frees a slot for the first source.
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("connection from another source was not accepted")
	}
	_ = other
}

func TestSourceKeyGroupsIPv6By64(t *testing.T) {
	a := sourceKey(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2::1"), Port: 1})
	b := sourceKey(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::9"), Port: 2})
	c := sourceKey(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:3::1"), Port: 1})
	m := sourceKey(&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1})
	if a != b || a == c {
		t.Fatalf("/64 grouping wrong: %v %v %v", a, b, c)
	}
	if m.String() != "192.0.2.1/32" {
		t.Fatalf("mapped address keyed as %v", m)
	}
}

func TestResolveBucket(t *testing.T) {
	var b bucket
	now := time.Unix(1000, 0)
	if !b.take(4000, 1000, 4000, now) {
		t.Fatal("a full burst was refused")
	}
	if b.take(1, 1000, 4000, now) {
		t.Fatal("an empty bucket gave a token")
	}
	if !b.take(500, 1000, 4000, now.Add(500*time.Millisecond)) {
		t.Fatal("the bucket did not refill at the rate")
	}
	if b.take(1, 1000, 4000, now.Add(500*time.Millisecond)) {
		t.Fatal("refilled more than the rate")
	}
}
