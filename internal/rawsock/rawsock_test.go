//go:build linux

package rawsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T, network string) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	host := "127.0.0.1:0"
	if network == "tcp6" {
		host = "[::1]:0"
	}
	ln, err := net.Listen(network, host)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); ch <- c }()
	a, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

func rawConn(t *testing.T, c *net.TCPConn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// TestWritevManyPiecesWaitsForRoom writes more pieces than one writev takes
// and far more bytes than the socket buffers hold: Writev must wait for room
// (the reader starts late) and deliver every byte in order, and must leave
// the caller's slice alone.
func TestWritevManyPiecesWaitsForRoom(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			a, b := tcpPair(t, network)
			a.SetWriteBuffer(64 << 10) // far less than the 7 MB written
			b.SetReadBuffer(64 << 10)
			var v [][]byte
			var want []byte
			for i := range 3 * maxIov {
				p := bytes.Repeat([]byte{byte(i)}, 1+i*9973%(80<<10))
				if i%7 == 0 {
					p = nil // empty pieces are skipped
				}
				v = append(v, p)
				want = append(want, p...)
			}
			orig := append([][]byte(nil), v...)
			got := make(chan []byte, 1)
			go func() {
				time.Sleep(20 * time.Millisecond) // let the writer fill the socket first
				all, _ := io.ReadAll(b)
				got <- all
			}()
			n, err := Writev(rawConn(t, a), v)
			if err != nil || n != len(want) {
				t.Fatalf("Writev = %d, %v; want %d, nil", n, err, len(want))
			}
			for i := range v {
				if len(v[i]) != len(orig[i]) || (len(v[i]) > 0 && &v[i][0] != &orig[i][0]) {
					t.Fatalf("Writev changed piece %d of the caller's slice", i)
				}
			}
			a.CloseWrite()
			if g := <-got; !bytes.Equal(g, want) {
				t.Fatalf("reader got %d bytes, want %d (or different content)", len(g), len(want))
			}
		})
	}
}

// TestTryWritevDoesNotWait fills the socket: TryWritev returns what fitted
// (eventually 0) at once instead of waiting.
func TestTryWritevDoesNotWait(t *testing.T) {
	a, _ := tcpPair(t, "tcp4")
	a.SetWriteBuffer(4096)
	rc := rawConn(t, a)
	chunk := make([]byte, 64<<10)
	total, zero := 0, false
	for range 1000 {
		n, err := TryWritev(rc, [][]byte{chunk[:100], chunk})
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n == 0 {
			zero = true
			break
		}
	}
	if !zero || total == 0 {
		t.Fatalf("TryWritev wrote %d bytes and never reported a full socket", total)
	}
}

// TestReadDataEOFDeadlineClose covers Read: data, end of stream as (0, nil),
// the read deadline and a closed connection.
func TestReadDataEOFDeadlineClose(t *testing.T) {
	a, b := tcpPair(t, "tcp6")
	rc := rawConn(t, b)
	go func() { a.Write([]byte("hello")); a.CloseWrite() }()
	buf := make([]byte, 16)
	var got []byte
	for {
		n, err := Read(rc, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "hello" {
		t.Fatalf("read %q, want hello", got)
	}

	c, d := tcpPair(t, "tcp4")
	_ = c
	d.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := Read(rawConn(t, d), buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	rc = rawConn(t, d)
	d.Close()
	if _, err := Read(rc, buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
	}
	if _, err := Writev(rc, [][]byte{buf}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Writev after Close: %v, want net.ErrClosed", err)
	}
}

// TestWritevPeerGone reports the peer's reset as an error instead of
// waiting forever.
func TestWritevPeerGone(t *testing.T) {
	a, b := tcpPair(t, "tcp4")
	b.SetLinger(0)
	b.Close()
	chunk := make([]byte, 1<<20)
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = Writev(rawConn(t, a), [][]byte{chunk})
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Writev to a reset peer: %v, want ECONNRESET or EPIPE", err)
	}
}

type closeCounter struct {
	net.Conn
	closed int
}

func (c *closeCounter) WriteConn() net.Conn { return c.Conn }
func (c *closeCounter) Close() error        { c.closed++; return c.Conn.Close() }

// TestWrap: a plain TCP connection, also behind a wrapper that offers
// WriteConn, gets raw Read/Write while Close stays the wrapper's; anything
// else is returned as it is.
func TestWrap(t *testing.T) {
	a, b := tcpPair(t, "tcp4")
	if p, _ := net.Pipe(); Wrap(p) != p {
		t.Fatal("Wrap changed a connection that is not TCP")
	}
	cc := &closeCounter{Conn: a}
	w, ok := Wrap(cc).(*Conn)
	if !ok {
		t.Fatal("Wrap did not wrap a TCP connection behind WriteConn")
	}
	if _, err := w.Writev([][]byte{[]byte("he"), []byte("llo")}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("peer read %q, %v", buf, err)
	}
	b.Write([]byte("x"))
	b.CloseWrite()
	if all, err := io.ReadAll(w); err != nil || string(all) != "x" {
		t.Fatalf("ReadAll = %q, %v; want x, nil", all, err)
	}
	w.Close()
	if cc.closed != 1 {
		t.Fatalf("wrapper Close called %d times, want 1", cc.closed)
	}
	var oe *net.OpError
	if _, err := w.Write([]byte("late")); !errors.As(err, &oe) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want a *net.OpError wrapping net.ErrClosed", err)
	}
}

// TestTryReadDoesNotWait: nothing ready → ErrWouldBlock at once (a net.Error
// that is Timeout and Temporary, so crypto/tls does not keep it); data →
// the data; peer closed → io.EOF.
func TestTryReadDoesNotWait(t *testing.T) {
	a, b := tcpPair(t, "tcp")
	rb := Wrap(b).(*Conn)
	buf := make([]byte, 64)
	n, err := rb.TryRead(buf)
	var ne net.Error
	//lint:ignore SA1019 crypto/tls decides on Temporary whether a read error is fatal
	if n != 0 || !errors.Is(err, ErrWouldBlock) || !errors.As(err, &ne) || !ne.Timeout() || !ne.Temporary() {
		t.Fatalf("TryRead on an empty socket = %d, %v; want 0, ErrWouldBlock", n, err)
	}
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := ""
	for deadline := time.Now().Add(5 * time.Second); got != "hello" && time.Now().Before(deadline); {
		n, err := rb.TryRead(buf)
		if err != nil && !errors.Is(err, ErrWouldBlock) {
			t.Fatal(err)
		}
		got += string(buf[:n])
	}
	if got != "hello" {
		t.Fatalf("TryRead got %q", got)
	}
	a.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, err = rb.TryRead(buf); !errors.Is(err, ErrWouldBlock) {
			break
		}
	}
	if err != io.EOF {
		t.Fatalf("TryRead after the peer closed: %v, want io.EOF", err)
	}
}
