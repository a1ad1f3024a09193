package mux

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
)

// echoServer accepts streams and echoes each until EOF, then half-closes.
func echoServer(t testing.TB, s *Session) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			st, err := s.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer st.Close()
				if _, err := io.Copy(st, st); err != nil {
					t.Errorf("echo stream %d: %v", st.ID(), err)
					return
				}
				st.CloseWrite()
			}()
		}
	}()
	t.Cleanup(func() { s.Close(); wg.Wait() })
	return &wg
}

func TestEchoOneByte(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, s := pair(t, Config{}, tr.dial)
			echoServer(t, s)
			st, err := c.Open()
			if err != nil {
				t.Fatal(err)
			}
			if st.ID()%2 != 1 {
				t.Errorf("client stream id %d is even", st.ID())
			}
			if _, err := st.Write([]byte{42}); err != nil {
				t.Fatal(err)
			}
			var b [1]byte
			if _, err := io.ReadFull(st, b[:]); err != nil || b[0] != 42 {
				t.Fatalf("echo = %v, %v; want 42", b[0], err)
			}
			if err := st.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if n, err := st.Read(b[:]); n != 0 || err != io.EOF {
				t.Fatalf("after FIN: Read = %d, %v; want 0, EOF", n, err)
			}
			st.Close()
		})
	}
}

// TestManyStreams echoes 1 MiB on each of 100 concurrent streams and
// checks every byte by hash.
func TestManyStreams(t *testing.T) {
	const streams, size = 100, 1 << 20
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, s := pair(t, Config{}, tr.dial)
			echoServer(t, s)
			var wg sync.WaitGroup
			for i := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := echoCheck(c, i, size); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			waitFor(t, "streams to go", func() bool { return c.NumStreams() == 0 && s.NumStreams() == 0 })
		})
	}
}

func echoCheck(c *Session, seed, size int) error {
	st, err := c.Open()
	if err != nil {
		return err
	}
	defer st.Close()
	data := make([]byte, size)
	var key [32]byte
	key[0] = byte(seed)
	rand.NewChaCha8(key).Read(data)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	werr := make(chan error, 1)
	go func() {
		// odd-sized writes exercise frame splitting
		for b := data; len(b) > 0; {
			k := min(len(b), 1+rng.IntN(200_000))
			if _, err := st.Write(b[:k]); err != nil {
				werr <- err
				return
			}
			b = b[k:]
		}
		werr <- st.CloseWrite()
	}()
	h := sha256.New()
	n, err := io.Copy(h, st)
	if err != nil {
		return err
	}
	if err := <-werr; err != nil {
		return err
	}
	if want := sha256.Sum256(data); n != int64(size) || !bytes.Equal(h.Sum(nil), want[:]) {
		return errors.New("echo corrupted")
	}
	return nil
}

func TestHalfClose(t *testing.T) {
	c, s := pair(t, Config{}, tcpConns)
	st, _ := c.Open()
	if _, err := st.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, ErrWriteClosed) {
		t.Fatalf("Write after CloseWrite: %v, want ErrWriteClosed", err)
	}
	sst, err := s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(sst)
	if err != nil || string(got) != "request" {
		t.Fatalf("server read %q, %v", got, err)
	}
	// the other direction still works after the peer's FIN
	if _, err := sst.Write([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	sst.Close() // peer has sent FIN: a clean FIN, not RST
	got, err = io.ReadAll(st)
	if err != nil || string(got) != "reply" {
		t.Fatalf("client read %q, %v; want reply, nil (EOF)", got, err)
	}
	st.Close()
	waitFor(t, "streams to go", func() bool { return c.NumStreams() == 0 && s.NumStreams() == 0 })
}

// TestCloseWriteFirst: a stream whose first frame is FIN still reaches the peer.
func TestCloseWriteFirst(t *testing.T) {
	c, s := pair(t, Config{}, pipeConns)
	st, _ := c.Open()
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	sst, err := s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(sst); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll = %q, %v; want empty, nil", got, err)
	}
}

func TestReset(t *testing.T) {
	c, s := pair(t, Config{}, pipeConns)
	st, _ := c.Open()
	st.Write([]byte("hello"))
	sst, err := s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	sst.Write([]byte("bye"))
	sst.Close() // the client has not finished: RST
	if s.NumStreams() != 0 {
		t.Errorf("server NumStreams = %d after Close, want 0", s.NumStreams())
	}
	// data before the RST is still read, then the reset shows
	got, err := io.ReadAll(st)
	if string(got) != "bye" || !errors.Is(err, ErrReset) {
		t.Fatalf("ReadAll = %q, %v; want bye, ErrReset", got, err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, ErrReset) {
		t.Fatalf("Write after RST: %v, want ErrReset", err)
	}
	waitFor(t, "client stream to go", func() bool { return c.NumStreams() == 0 })
	st.Close()
}

func TestOpenWithoutWriteSendsNothing(t *testing.T) {
	c, s := pair(t, Config{}, pipeConns)
	st, _ := c.Open()
	st.Close()
	st2, _ := c.Open()
	st2.Write([]byte("x"))
	sst, err := s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if sst.ID() != st2.ID() {
		t.Fatalf("accepted stream %d, want %d (the closed, never-written one must not be announced)", sst.ID(), st2.ID())
	}
}

func TestMaxStreamsAndBacklog(t *testing.T) {
	c, s := pair(t, Config{AcceptBacklog: 2}, pipeConns)
	var sts []*Stream
	for range 3 {
		st, _ := c.Open()
		st.Write([]byte("x"))
		sts = append(sts, st)
	}
	// the third does not fit the backlog: reset
	if _, err := io.ReadAll(sts[2]); !errors.Is(err, ErrReset) {
		t.Fatalf("third stream: %v, want ErrReset", err)
	}
	for range 2 {
		if _, err := s.Accept(); err != nil {
			t.Fatal(err)
		}
	}
	c2, _ := pair(t, Config{MaxStreams: 1}, pipeConns)
	c2.Open()
	if _, err := c2.Open(); err == nil {
		t.Fatal("Open beyond MaxStreams succeeded")
	}
}

func TestAddrs(t *testing.T) {
	c, _ := pair(t, Config{}, tcpConns)
	st, _ := c.Open()
	if _, ok := st.LocalAddr().(*net.TCPAddr); !ok {
		t.Errorf("LocalAddr = %v, want the transport's TCP address", st.LocalAddr())
	}
	if st.RemoteAddr().String() == st.LocalAddr().String() {
		t.Errorf("RemoteAddr = LocalAddr = %v", st.RemoteAddr())
	}
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		timeSleep()
	}
	t.Fatalf("timed out waiting for %s", what)
}
