package mux

import (
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair returns a client and a server session over conns made by dial,
// closed when the test ends.
func pair(t testing.TB, cfg Config, dial func(testing.TB) (net.Conn, net.Conn)) (*Session, *Session) {
	t.Helper()
	a, b := dial(t)
	c, s := Client(a, cfg), Server(b, cfg)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func pipeConns(testing.TB) (net.Conn, net.Conn) { return net.Pipe() }

// tcpConns returns both ends of a loopback TCP connection.
func tcpConns(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return a, r.c
}

var transports = []struct {
	name string
	dial func(testing.TB) (net.Conn, net.Conn)
}{
	{"pipe", pipeConns},
	{"tcp", tcpConns},
	{"chopped", choppedConns},
}

// choppedConns is a TCP pair whose reads return few bytes at a time (often
// 1–16), so frame headers and payloads arrive split at every possible
// place and pieces of different streams interleave in the receive buffer.
func choppedConns(t testing.TB) (net.Conn, net.Conn) {
	a, b := tcpConns(t)
	return &choppedConn{Conn: a, rng: rand.New(rand.NewPCG(1, 2))}, &choppedConn{Conn: b, rng: rand.New(rand.NewPCG(3, 4))}
}

type choppedConn struct {
	net.Conn
	rng *rand.Rand // only the session's receive loop reads
}

func (c *choppedConn) Read(p []byte) (int, error) {
	n := 1 + c.rng.IntN(16)
	if c.rng.IntN(2) == 0 {
		n = 1 + c.rng.IntN(96<<10)
	}
	return c.Conn.Read(p[:min(n, len(p))])
}

func timeSleep() { time.Sleep(time.Millisecond) }
