package mux

import "sync"

// Received payloads live in pooled buffers of three size classes, so a
// stream of small frames does not pin a 64 KiB buffer per frame.
var classes = [...]int{4 << 10, 16 << 10, 64 << 10}

var pools [len(classes)]sync.Pool

// coalesceMax is the largest payload copied onto the tail of a stream's
// queue instead of being kept in its own buffer.
const coalesceMax = 4 << 10

// getBuf returns a pooled buffer of at least n bytes (n ≤ 64 KiB).
func getBuf(n int) *[]byte {
	for i, size := range classes {
		if n <= size {
			if v := pools[i].Get(); v != nil {
				return v.(*[]byte)
			}
			b := make([]byte, size)
			return &b
		}
	}
	panic("mux: buffer request beyond the largest class")
}

func putBuf(p *[]byte) {
	for i, size := range classes {
		if cap(*p) == size {
			*p = (*p)[:size]
			pools[i].Put(p)
			return
		}
	}
}

// chunk is received data not yet consumed: (*p)[off:end].
type chunk struct {
	p        *[]byte
	off, end int
}

func (c chunk) bytes() []byte { return (*c.p)[c.off:c.end] }

// appendChunk queues data held in p[:n], copying small payloads onto the
// tail buffer when it has room (and then releasing p).
func appendChunk(q []chunk, p *[]byte, n int) []chunk {
	if k := len(q); k > 0 && n <= coalesceMax {
		t := &q[k-1]
		if cap(*t.p)-t.end >= n {
			copy((*t.p)[t.end:t.end+n], (*p)[:n])
			t.end += n
			putBuf(p)
			return q
		}
	}
	return append(q, chunk{p: p, end: n})
}

func releaseChunks(q []chunk) {
	for i := range q {
		putBuf(q[i].p)
		q[i] = chunk{}
	}
}
