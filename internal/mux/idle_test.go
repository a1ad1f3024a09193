package mux

import (
	"io"
	"runtime"
	"testing"
)

// TestIdleStreamMemory opens 10,000 streams, moves one byte on each so
// both sides know them, lets them sit idle and reports the heap each idle
// stream costs (client and server together, no goroutines).
func TestIdleStreamMemory(t *testing.T) {
	const n = 10_000
	c, s := pair(t, Config{}, tcpConns)
	before := heapInUse()
	cs := make([]*Stream, 0, n)
	ss := make([]*Stream, 0, n)
	var b [1]byte
	for range n {
		st, err := c.Open()
		if err != nil {
			t.Fatal(err)
		}
		st.Write(b[:])
		sst, err := s.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(sst, b[:]); err != nil {
			t.Fatal(err)
		}
		cs, ss = append(cs, st), append(ss, sst)
	}
	after := heapInUse()
	per := float64(after-before) / n
	t.Logf("idle stream heap: %.0f bytes per stream (client+server), %d streams", per, n)
	if per > 2048 {
		t.Errorf("idle stream costs %.0f bytes, want ≤ 2048", per)
	}
	if c.NumStreams() != n || s.NumStreams() != n {
		t.Errorf("NumStreams = %d/%d, want %d", c.NumStreams(), s.NumStreams(), n)
	}
	for i := range cs {
		cs[i].Close()
		ss[i].Close()
	}
	runtime.KeepAlive(cs)
	runtime.KeepAlive(ss)
}

func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC() // the second clears sync.Pool victims
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
