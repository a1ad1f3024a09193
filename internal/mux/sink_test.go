//go:build unix

package mux

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// sinkPair returns the accepted server stream of a fresh client stream
// (which has sent first) and a loopback TCP connection whose writing end
// is set as the stream's sink.
func sinkPair(t *testing.T, first []byte) (cst, sst *Stream, app *net.TCPConn) {
	t.Helper()
	c, s := pair(t, Config{}, tcpConns)
	return openSink(t, c, s, first)
}

// openSink opens a stream from c that sends first, accepts it on s and
// sets a loopback TCP connection as its sink; app is that connection's
// reading end.
func openSink(t *testing.T, c, s *Session, first []byte) (cst, sst *Stream, app *net.TCPConn) {
	t.Helper()
	cst, err := c.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cst.Write(first); err != nil {
		t.Fatal(err)
	}
	sst, err = s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	w, r := tcpConns(t)
	t.Cleanup(func() { w.Close(); r.Close() })
	if err := sst.SetSink(w.(*net.TCPConn)); err != nil {
		t.Fatal(err)
	}
	return cst, sst, r.(*net.TCPConn)
}

func (st *Stream) sinkState() (queued int, draining bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, c := range st.sink.q {
		queued += c.end - c.off
	}
	return queued, st.sink.draining
}

// TestSinkSlowReceiver fills a sink whose reader does not read (tiny
// socket buffers), so deliveries hit EAGAIN and queue; once the reader
// reads, every byte arrives in order, then EOF after the FIN.
func TestSinkSlowReceiver(t *testing.T) {
	cst, sst, app := sinkPair(t, []byte("first:"))
	app.SetReadBuffer(64 << 10)
	sst.sink.c.SetWriteBuffer(16 << 10)
	data := make([]byte, 2<<20)
	rand.NewChaCha8([32]byte{1}).Read(data)
	werr := make(chan error, 1)
	go func() {
		_, err := cst.Write(data)
		if err == nil {
			err = cst.CloseWrite()
		}
		werr <- err
	}()
	// The socket is full once a drain goroutine has taken over (it may hold
	// every queued chunk itself, so the queue can read empty meanwhile).
	waitFor(t, "the sink to queue", func() bool { _, d := sst.sinkState(); return d })
	h := sha256.New()
	got, err := io.Copy(h, app)
	if err != nil || got != int64(len(data))+6 {
		t.Fatalf("app read %d bytes, %v; want %d, EOF", got, err, len(data)+6)
	}
	want := sha256.New()
	want.Write([]byte("first:"))
	want.Write(data)
	if !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatal("sink delivered corrupted data")
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	<-sst.SinkDone()
	if _, d := sst.sinkState(); d {
		t.Error("drain goroutine still running after FIN")
	}
	if _, err := sst.Read(make([]byte, 1)); !errors.Is(err, errSinkRead) {
		t.Errorf("Read on a sink stream: %v", err)
	}
}

// TestSinkFastPath: small messages go straight to the socket; no drain
// goroutine is started, and the other direction still works.
func TestSinkFastPath(t *testing.T) {
	cst, sst, app := sinkPair(t, []byte("ping"))
	buf := make([]byte, 4)
	for i := range 100 {
		if i > 0 {
			cst.Write([]byte("ping"))
		}
		if _, err := io.ReadFull(app, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("round %d: app read %q, %v", i, buf, err)
		}
		if i == 0 {
			// Data that arrived before SetSink goes out through a short
			// drain goroutine; let it finish.
			waitFor(t, "the first drain to end", func() bool { _, d := sst.sinkState(); return !d })
		} else if _, d := sst.sinkState(); d {
			t.Fatalf("round %d: a drain goroutine runs for an idle sink", i)
		}
		sst.Write([]byte("pong"))
		if _, err := io.ReadFull(cst, buf); err != nil || string(buf) != "pong" {
			t.Fatalf("round %d: client read %q, %v", i, buf, err)
		}
	}
	cst.CloseWrite()
	<-sst.SinkDone()
	if n, err := app.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after FIN the app reads %d, %v; want EOF", n, err)
	}
}

func TestSinkQueuedBeforeSetSink(t *testing.T) {
	c, s := pair(t, Config{}, tcpConns)
	cst, _ := c.Open()
	cst.Write([]byte("early"))
	cst.CloseWrite()
	sst, _ := s.Accept()
	waitFor(t, "the FIN", func() bool { sst.mu.Lock(); defer sst.mu.Unlock(); return sst.flags&fFinRecv != 0 })
	w, r := tcpConns(t)
	defer r.Close()
	if err := sst.SetSink(w.(*net.TCPConn)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "early" {
		t.Fatalf("app read %q, %v; want early then EOF", got, err)
	}
	<-sst.SinkDone()
}

func TestSinkClosedByReset(t *testing.T) {
	cst, sst, app := sinkPair(t, []byte("x"))
	io.ReadFull(app, make([]byte, 1))
	cst.Close() // no FIN sent yet: RST
	<-sst.SinkDone()
	if _, err := io.ReadAll(app); err != nil && !errors.Is(err, net.ErrClosed) {
		// EOF (nil here) or a reset are both fine: the socket is gone
		t.Logf("app read after RST: %v", err)
	}
	if _, err := sst.Write([]byte("y")); !errors.Is(err, ErrReset) {
		t.Fatalf("Write after RST: %v, want ErrReset", err)
	}
}

// TestSinkFailureResetsPeer: when the local side of the sink goes away,
// the stream is reset so the peer stops sending.
func TestSinkFailureResetsPeer(t *testing.T) {
	cst, sst, app := sinkPair(t, []byte("x"))
	app.Close()
	var err error
	for err == nil {
		_, err = cst.Write(make([]byte, 32<<10))
	}
	if !errors.Is(err, ErrReset) {
		t.Fatalf("peer Write after the sink failed: %v, want ErrReset", err)
	}
	<-sst.SinkDone()
}

// TestSinkChoppedInterleaved sends several streams at once over a transport
// that reads few bytes at a time, each delivered to its own sink: the
// receive loop collects pieces per stream and writes them with writev, and
// every sink must get exactly its stream's bytes, then EOF.
func TestSinkChoppedInterleaved(t *testing.T) {
	const streams, size = 4, 300 << 10
	c, s := pair(t, Config{}, choppedConns)
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	want := make([][32]byte, streams)
	results := make([]chan result, streams)
	for i := range streams {
		data := make([]byte, size)
		var key [32]byte
		key[0] = byte(i + 1)
		rand.NewChaCha8(key).Read(data)
		want[i] = sha256.Sum256(data)
		cst, _, r := openSink(t, c, s, data[:1])
		results[i] = make(chan result, 1)
		go func() {
			h := sha256.New()
			n, err := io.Copy(h, r)
			var res result
			copy(res.sum[:], h.Sum(nil))
			res.n, res.err = n, err
			results[i] <- res
		}()
		go func() {
			// no Close: the peer has not finished, so it would reset
			// the stream and cut what the sink still has queued
			for b := data[1:]; len(b) > 0; {
				k := min(len(b), 70_000)
				if _, err := cst.Write(b[:k]); err != nil {
					t.Errorf("stream %d: write: %v", i, err)
					return
				}
				b = b[k:]
			}
			cst.CloseWrite()
		}()
	}
	for i := range streams {
		res := <-results[i]
		if res.err != nil || res.n != size || res.sum != want[i] {
			t.Errorf("stream %d: sink got %d bytes (err %v), hash match %v", i, res.n, res.err, res.sum == want[i])
		}
	}
}
