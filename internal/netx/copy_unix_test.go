//go:build unix

package netx

import (
	"bytes"
	"crypto/rand"
	"net"
	"testing"
)

type recordingWriter struct {
	bytes.Buffer
	sizes []int
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// TestCopyReadyGrowsForBulk: copyReady starts with a small buffer and
// switches to the big one once a read fills it, moving every byte.
func TestCopyReadyGrowsForBulk(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.(*net.TCPConn).SetReadBuffer(4 << 20)
	data := make([]byte, 1<<20)
	rand.Read(data)
	// All of it is queued at the receiver before copying starts.
	if _, err := a.Write(data); err != nil {
		t.Fatal(err)
	}
	a.(*net.TCPConn).CloseWrite()
	var w recordingWriter
	n, err, ok := copyReady(&w, b.(*net.TCPConn))
	if !ok || err != nil || n != int64(len(data)) || !bytes.Equal(w.Bytes(), data) {
		t.Fatalf("copyReady = %d, %v, %v; data equal %v", n, err, ok, bytes.Equal(w.Bytes(), data))
	}
	if w.sizes[0] > smallBufSize {
		t.Errorf("first read took %d bytes, want at most the small buffer's %d", w.sizes[0], smallBufSize)
	}
	if len(w.sizes) < 2 || w.sizes[1] <= smallBufSize {
		t.Errorf("reads %v: the second should use the big buffer", w.sizes)
	}
}
