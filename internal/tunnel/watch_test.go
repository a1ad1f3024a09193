package tunnel

import (
	"net"
	"testing"
	"time"
)

// A dead path while a writer is stuck on the full transport: the watchdog
// still closes the session within three intervals (its ping must not wait
// behind the stuck writer), and the stuck writer is released.
func TestWatchdogClosesWhileAWriterIsStuck(t *testing.T) {
	a, b := net.Pipe() // b never reads: every write to a blocks, as on a full socket
	defer b.Close()
	s, err := newSession(newWSConn(a, nil, true), true, 50*time.Millisecond, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	defer s.Close()
	st, err := s.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() { _, err := st.Write(make([]byte, 100<<10)); wrote <- err }()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session is still up 10 s after its peer went silent with a write stuck")
	}
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("the stuck write succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck writer was not released when the session closed")
	}
}

// WritingSince shows a write under way, and only then.
func TestWritingSince(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newWSConn(a, nil, false)
	if !c.WritingSince().IsZero() {
		t.Fatal("a write is reported before any began")
	}
	done := make(chan error, 1)
	go func() { _, err := c.Write([]byte("x")); done <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for c.WritingSince().IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("a blocked write is not reported")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := b.Read(make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !c.WritingSince().IsZero() {
		t.Fatal("a finished write is still reported")
	}
}
