//go:build linux

package tunnel

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); ch <- c }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestBatchConnHoldsWritesUntilEnd: inside a batch nothing reaches the
// peer; end sends every byte in order; outside a batch writes go at once.
// A wrapped connection (the server's limit wrapper) is unwrapped for I/O
// but keeps its own Close.
func TestBatchConnHoldsWritesUntilEnd(t *testing.T) {
	a, b := tcpPair(t)
	bc, ok := NewBatchConn(wrapped{a}).(*BatchConn)
	if !ok {
		t.Fatal("NewBatchConn did not wrap a TCP connection behind WriteConn")
	}
	bc.begin()
	var want []byte
	for i := range 40 {
		p := bytes.Repeat([]byte{byte(i)}, 16<<10)
		if n, err := bc.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write in batch = %d, %v", n, err)
		}
		want = append(want, p...)
	}
	b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := b.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("peer read %d bytes (%v) while the batch was open", n, err)
	}
	b.SetReadDeadline(time.Time{})
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, len(want)+5)
		_, err := io.ReadFull(b, buf)
		if err != nil {
			t.Error(err)
		}
		got <- buf
	}()
	if err := bc.end(); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; !bytes.Equal(g, append(want, "after"...)) {
		t.Fatal("peer got different bytes")
	}
	// reads: data, then EOF
	go func() { b.Write([]byte("back")); b.(*net.TCPConn).CloseWrite() }()
	all, err := io.ReadAll(bc)
	if err != nil || string(all) != "back" {
		t.Fatalf("ReadAll = %q, %v", all, err)
	}
	if _, ok := NewBatchConn(wrapped{tls.Client(a, &tls.Config{})}).(*BatchConn); ok {
		t.Fatal("NewBatchConn wrapped something that is not plain TCP")
	}
}

// TestWSSOverBatchConn runs WebSocket frames over TLS over BatchConn both
// ways, with frames larger than a TLS record: the batched records must
// decrypt to the same bytes.
func TestWSSOverBatchConn(t *testing.T) {
	cw, sw := wssPair(t, nil)
	if cw.batch == nil || sw.batch == nil {
		t.Fatal("wsConn over TLS over BatchConn does not batch")
	}
	sendBothWays(t, cw, sw, func(p []byte) [][]byte { return [][]byte{p[:100], p[100:]} })
}

// sendBothWays sends 300 KiB of random bytes as one frame each way, cut
// into pieces by cut, and checks they arrive intact.
func sendBothWays(t *testing.T, cw, sw *wsConn, cut func([]byte) [][]byte) {
	t.Helper()
	payload := make([]byte, 300<<10)
	rand.Read(payload)
	for _, dir := range []struct {
		name string
		w, r *wsConn
	}{{"client to server", cw, sw}, {"server to client", sw, cw}} {
		done := make(chan error, 1)
		go func() { _, err := dir.w.WriteBuffers(cut(payload)); done <- err }()
		got := make([]byte, len(payload))
		dir.r.conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a lost byte fails, not hangs
		if _, err := io.ReadFull(dir.r, got); err != nil {
			t.Fatalf("%s: %v", dir.name, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: write: %v", dir.name, err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("%s: payload differs", dir.name)
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// wssPair returns a client and a server wsConn over TLS over BatchConn.
// With transport, the bytes go through it (a goroutine per direction)
// instead of straight from one socket to the other.
func wssPair(t *testing.T, transport func(dst, src net.Conn)) (cw, sw *wsConn) {
	t.Helper()
	a, d := tcpPair(t)
	if transport != nil {
		b := d
		var c net.Conn
		c, d = tcpPair(t)
		go transport(b, c)
		go transport(c, b)
	}
	cert := selfSigned(t)
	srv := tls.Server(NewBatchConn(d), &tls.Config{Certificates: []tls.Certificate{cert}})
	cli := tls.Client(NewBatchConn(a), &tls.Config{InsecureSkipVerify: true})
	done := make(chan error, 1)
	go func() { done <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	// Until the server's handshake is over it may read ahead, into
	// crypto/tls's buffer, what the client sends next.
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return newWSConn(cli, nil, true), newWSConn(srv, nil, false)
}

// TestWSSReadTakesEveryReadyRecord: crypto/tls hands over one record
// (16 KiB at most) per Read; a wsConn over TLS must return in one Read all
// of the frame that has already arrived, so the receive loop passes it on
// in one piece. Without readMore the Read here returns 16 KiB.
func TestWSSReadTakesEveryReadyRecord(t *testing.T) {
	cw, sw := wssPair(t, nil)
	payload := make([]byte, 40<<10) // within the initial receive window
	rand.Read(payload)
	for _, dir := range []struct {
		name string
		w, r *wsConn
	}{{"client to server", cw, sw}, {"server to client", sw, cw}} {
		if _, err := dir.w.Write(payload); err != nil {
			t.Fatalf("%s: write: %v", dir.name, err)
		}
		waitQueued(t, dir.r, len(payload)) // TLS adds overhead: then all is in
		got := make([]byte, 1<<20)
		n, err := dir.r.Read(got)
		if err != nil {
			t.Fatalf("%s: read: %v", dir.name, err)
		}
		if n != len(payload) {
			t.Fatalf("%s: one Read returned %d of the %d bytes ready", dir.name, n, len(payload))
		}
		if !bytes.Equal(got[:n], payload) {
			t.Fatalf("%s: payload differs", dir.name)
		}
	}
}

// waitQueued polls until at least want bytes wait in r's socket.
func waitQueued(t *testing.T, r *wsConn, want int) {
	t.Helper()
	rc, err := r.batch.Conn.Unwrap().(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var queued int
		rc.Control(func(fd uintptr) { queued, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		if queued >= want {
			return
		}
	}
	t.Fatalf("fewer than %d bytes arrived within 10 s", want)
}

// muxLike cuts p the way the multiplexer hands a batch of frames over: small
// headers between pieces of up to 64 KiB, some shorter than a TLS record.
func muxLike(p []byte) [][]byte {
	sizes := []int{9, 65535, 9, 100, 3, 20000, 9, 16384, 1}
	var v [][]byte
	for i := 0; len(p) > 0; i++ {
		size := min(sizes[i%len(sizes)], len(p))
		v = append(v, p[:size])
		p = p[size:]
	}
	return v
}

// TestWSSChoppedTransport: with the TLS bytes arriving in pieces of a few
// hundred bytes, reads that would wait stop in the middle of records; no
// byte may be lost or repeated. The frame goes in pieces like the
// multiplexer's, so the server's writeTLS cuts records across them.
func TestWSSChoppedTransport(t *testing.T) {
	cw, sw := wssPair(t, func(dst, src net.Conn) {
		buf := make([]byte, 700)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	sendBothWays(t, cw, sw, muxLike)
}
