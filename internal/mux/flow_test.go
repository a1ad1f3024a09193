package mux

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// TestStalledStreamDoesNotBlockOthers: a stream nobody reads takes exactly
// its window and no more, while another stream keeps flowing.
func TestStalledStreamDoesNotBlockOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t, Config{}, pipeConns)
		stalled, _ := c.Open()
		stalled.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := stalled.Write(make([]byte, 4<<20))
		// the receiver neither read nor wrote: only the initial window
		if n != initialWindow || !isTimeout(err) {
			t.Fatalf("Write to stalled stream = %d, %v; want %d, timeout", n, err, initialWindow)
		}
		sStalled, _ := s.Accept()

		other, _ := c.Open()
		go func() {
			sOther, _ := s.Accept()
			io.Copy(sOther, sOther)
			sOther.Close()
		}()
		msg := make([]byte, 3<<20)
		go func() { other.Write(msg); other.CloseWrite() }()
		got, err := io.ReadAll(other)
		if err != nil || len(got) != len(msg) {
			t.Fatalf("other stream echoed %d bytes, %v; want %d", len(got), err, len(msg))
		}

		// a receiver that writes grants its whole window with that frame
		sStalled.Write([]byte("hi"))
		var b [2]byte
		io.ReadFull(stalled, b[:])
		stalled.SetWriteDeadline(time.Now().Add(time.Second))
		n, err = stalled.Write(make([]byte, 4<<20))
		if want := 1<<20 - initialWindow; n != want || !isTimeout(err) {
			t.Fatalf("after the grant: Write = %d, %v; want %d, timeout", n, err, want)
		}
		// reading returns credit and unblocks the writer
		go io.Copy(io.Discard, sStalled)
		stalled.SetWriteDeadline(time.Time{})
		if n, err := stalled.Write(make([]byte, 4<<20)); n != 4<<20 || err != nil {
			t.Fatalf("Write once read = %d, %v", n, err)
		}
	})
}

func TestDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t, Config{}, pipeConns)
		st, _ := c.Open()
		st.Write([]byte("x"))
		sst, _ := s.Accept()
		io.ReadFull(sst, make([]byte, 1))

		start := time.Now()
		st.SetReadDeadline(start.Add(time.Second))
		if _, err := st.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("Read past deadline: %v, want timeout", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Read timed out after %v, want 1s", d)
		}

		// moving the deadline while a Read waits takes effect
		st.SetReadDeadline(time.Now().Add(time.Second))
		go func() {
			time.Sleep(500 * time.Millisecond)
			st.SetReadDeadline(time.Now().Add(5 * time.Second))
			time.Sleep(time.Second)
			sst.Write([]byte("y"))
		}()
		start = time.Now()
		if n, err := st.Read(make([]byte, 1)); n != 1 || err != nil {
			t.Fatalf("Read with extended deadline = %d, %v", n, err)
		}
		if d := time.Since(start); d != 1500*time.Millisecond {
			t.Errorf("data arrived after %v, want 1.5s", d)
		}

		st.SetDeadline(time.Now().Add(-time.Second))
		if _, err := st.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("Read with past deadline: %v", err)
		}
		st.SetDeadline(time.Time{})
	})
}

func TestSessionCloseFailsBlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t, Config{}, pipeConns)
		st, _ := c.Open()
		st.Write(make([]byte, initialWindow)) // all credit used
		errs := make(chan error, 3)
		go func() { _, err := st.Read(make([]byte, 1)); errs <- err }()
		go func() { _, err := st.Write([]byte("x")); errs <- err }()
		go func() { _, err := c.Accept(); errs <- err }()
		synctest.Wait()
		c.Close()
		for range 3 {
			if err := <-errs; !errors.Is(err, net.ErrClosed) {
				t.Errorf("blocked call after Close: %v, want net.ErrClosed", err)
			}
		}
		if _, err := c.Open(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Open after Close: %v", err)
		}
		// the peer sees its transport end
		<-s.CloseChan()
		if !s.IsClosed() || !errors.Is(s.Err(), net.ErrClosed) {
			t.Errorf("peer: IsClosed %v, Err %v", s.IsClosed(), s.Err())
		}
		c.Close() // idempotent
	})
}

func TestTransportFailureClosesSession(t *testing.T) {
	a, b := net.Pipe()
	s := Server(b, Config{})
	defer s.Close()
	a.Close()
	<-s.CloseChan()
	if !errors.Is(s.Err(), io.EOF) {
		t.Fatalf("Err = %v, want it to wrap the transport's EOF", s.Err())
	}
}

func TestProtocolErrors(t *testing.T) {
	syn := appendHeader(nil, cmdSYN, 1, 0)
	tests := []struct {
		name string
		in   []byte
	}{
		{"unknown command", appendHeader(nil, 42, 1, 0)},
		{"flags", []byte{cmdDATA, 4, 0, 0, 0, 0, 0, 1}},
		{"server parity SYN", appendHeader(nil, cmdSYN, 2, 0)},
		{"duplicate SYN", append(syn, syn...)},
		{"beyond window", func() []byte {
			b := syn
			for range initialWindow/maxPayload + 1 {
				b = append(appendHeader(b, cmdDATA, 1, maxPayload), make([]byte, maxPayload)...)
			}
			return b
		}()},
		{"data after FIN", append(appendHeader(syn, cmdFIN, 1, 0), append(appendHeader(nil, cmdDATA, 1, 1), 0)...)},
		{"credit overflow", appendWindow(appendWindow(syn, 1, maxWindow), 1, maxWindow)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			s := Server(b, Config{})
			defer s.Close()
			go func() {
				a.Write(tt.in)
				io.Copy(io.Discard, a)
			}()
			<-s.CloseChan()
			if !errors.Is(s.Err(), ErrProtocol) {
				t.Fatalf("Err = %v, want ErrProtocol", s.Err())
			}
		})
	}
}

// A peer that keeps opening streams beyond the limit while it reads
// nothing makes the session queue an RST for each: the queue is bounded and
// the peer disconnected, instead of memory growing for as long as it sends.
func TestPeerThatNeverReadsIsDisconnected(t *testing.T) {
	a, b := net.Pipe() // a pipe holds nothing: the first RST blocks the flusher
	defer a.Close()
	s := Server(b, Config{MaxStreams: 1})
	defer s.Close()
	go func() {
		var frame []byte
		for id := uint32(1); ; id += 2 {
			frame = appendHeader(frame[:0], cmdSYN, id, 0)
			if _, err := a.Write(frame); err != nil {
				return // the session hung up
			}
		}
	}()
	select {
	case <-s.CloseChan():
	case <-time.After(60 * time.Second):
		t.Fatal("the session still runs after 60 s of SYNs from a peer that reads nothing")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "reads nothing") {
		t.Fatalf("session ended with %v, want the unread control queue named", err)
	}
}
