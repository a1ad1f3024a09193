package mux

import "sync"

// Received payloads live in pooled buffers of three size classes, so a
// stream of small frames does not pin a 64 KiB buffer per frame.
var classes = [...]int{4 << 10, 16 << 10, 64 << 10}

var pools [len(classes)]sync.Pool

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

// appendBytes queues a copy of b (at most 64 KiB): onto the tail buffer as
// far as it has room, the rest in a new buffer of the smallest class.
func appendBytes(q []chunk, b []byte) []chunk {
	if k := len(q); k > 0 {
		t := &q[k-1]
		n := copy((*t.p)[t.end:], b)
		t.end += n
		b = b[n:]
	}
	if len(b) > 0 {
		p := getBuf(len(b))
		q = append(q, chunk{p: p, end: copy(*p, b)})
	}
	return q
}

func releaseChunks(q []chunk) {
	for i := range q {
		putBuf(q[i].p)
		q[i] = chunk{}
	}
}
