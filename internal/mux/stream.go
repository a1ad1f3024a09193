package mux

import (
	"io"
	"net"
	"sync"
	"time"
)

// Stream flags.
const (
	fSynSent uint8 = 1 << iota
	fFinSent
	fFinRecv
	fRstRecv
	fClosed  // local Close
	fRstSent // reset by us after a sink failure
)

// Stream is one multiplexed byte stream; it implements net.Conn. An idle
// stream holds no buffer and no goroutine.
type Stream struct {
	s  *Session
	id uint32

	mu    sync.Mutex
	flags uint8
	// rq is received data not yet consumed (or, with a sink, not yet
	// written to it).
	rq         []chunk
	rerr, werr error // what Read (once rq is empty) and Write return
	rwait      chan struct{}
	wwait      chan struct{}
	rdl, wdl   time.Time

	credit   int   // bytes we may still send
	win      int32 // receive window the peer knows of
	inflight int32 // bytes received and not yet granted back
	unacked  int32 // bytes consumed and not yet granted back

	sink *sink
}

func newStream(s *Session, id uint32) *Stream {
	return &Stream{s: s, id: id, credit: initialWindow, win: initialWindow}
}

// ID is the stream's id (odd when the client opened it).
func (st *Stream) ID() uint32 { return st.id }

// LocalAddr and RemoteAddr are the transport's addresses.
func (st *Stream) LocalAddr() net.Addr  { return st.s.localAddr() }
func (st *Stream) RemoteAddr() net.Addr { return st.s.remoteAddr() }

// Read reads received data. After the peer's FIN and the data before it,
// it returns io.EOF; after an RST, ErrReset.
func (st *Stream) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	st.mu.Lock()
	for {
		if st.sink != nil {
			st.mu.Unlock()
			return 0, errSinkRead
		}
		if len(st.rq) > 0 {
			n := st.copyOutLocked(b)
			grant := st.consumeLocked(n)
			st.mu.Unlock()
			st.sendGrant(grant)
			return n, nil
		}
		if err := st.readErrLocked(); err != nil {
			st.mu.Unlock()
			return 0, err
		}
		if err := st.waitLocked(&st.rwait, st.rdl); err != nil {
			st.mu.Unlock()
			return 0, err
		}
	}
}

func (st *Stream) copyOutLocked(b []byte) int {
	n := 0
	for n < len(b) && len(st.rq) > 0 {
		c := &st.rq[0]
		k := copy(b[n:], c.bytes())
		n += k
		c.off += k
		if c.off == c.end {
			putBuf(c.p)
			st.rq[0] = chunk{}
			st.rq = st.rq[1:]
		}
	}
	if len(st.rq) == 0 {
		st.rq = nil
	}
	return n
}

// WriteTo writes received data to w until EOF, handing over the buffers
// the receive loop filled (no copy). It returns nil at EOF.
func (st *Stream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	var (
		q   []chunk
		err error
	)
	for {
		q, err = st.takeQueue(q)
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
		for i := range q {
			k, err := w.Write(q[i].bytes())
			total += int64(k)
			if err != nil {
				releaseChunks(q[i:])
				return total, err
			}
			st.mu.Lock()
			grant := st.consumeLocked(k)
			st.mu.Unlock()
			st.sendGrant(grant)
			putBuf(q[i].p)
			q[i] = chunk{}
		}
	}
}

// takeQueue waits for received data and takes all of it, leaving spare
// (emptied) in its place so the queue's array is reused.
func (st *Stream) takeQueue(spare []chunk) ([]chunk, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for len(st.rq) == 0 {
		if st.sink != nil {
			return nil, errSinkRead
		}
		if err := st.readErrLocked(); err != nil {
			return nil, err
		}
		if err := st.waitLocked(&st.rwait, st.rdl); err != nil {
			return nil, err
		}
	}
	q := st.rq
	st.rq = spare[:0]
	return q, nil
}

// Write sends b, split into frames of at most MaxFrame bytes, waiting for
// credit when the peer's window is used up. Whatever credit allows (up to
// maxBatch frames) leaves in one transport write.
func (st *Stream) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k, err := st.reserve(min(len(b), maxBatch*st.s.cfg.MaxFrame))
		if err != nil {
			return n, err
		}
		if err := st.s.writeFrame(st, cmdDATA, b[:k]); err != nil {
			return n, err
		}
		n += k
		b = b[k:]
	}
	return n, nil
}

// reserve takes up to want bytes of send credit, waiting for some.
func (st *Stream) reserve(want int) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for {
		if err := st.writeErrLocked(); err != nil {
			return 0, err
		}
		if st.credit > 0 {
			k := min(want, st.credit)
			st.credit -= k
			return k, nil
		}
		if err := st.waitLocked(&st.wwait, st.wdl); err != nil {
			return 0, err
		}
	}
}

// CloseWrite sends FIN: the peer reads io.EOF after the data sent so far.
func (st *Stream) CloseWrite() error {
	return st.s.writeFrame(st, cmdFIN, nil)
}

// Close ends both directions from our side and releases queued data. If
// the peer has sent FIN it sends FIN (if not sent yet); otherwise RST.
// With a sink, the sink connection is closed too.
func (st *Stream) Close() error {
	st.mu.Lock()
	if st.flags&fClosed != 0 {
		st.mu.Unlock()
		return nil
	}
	st.flags |= fClosed
	var cmd byte
	if st.flags&(fSynSent|fRstRecv|fRstSent) == fSynSent {
		switch {
		case st.flags&fFinRecv == 0:
			cmd = cmdRST
		case st.flags&fFinSent == 0:
			cmd = cmdFIN
		}
	}
	st.flags |= fFinSent
	st.rerr, st.werr = errStreamClosed, errStreamClosed
	releaseChunks(st.rq)
	st.rq = nil
	st.wakeLocked()
	sk := st.stopSinkLocked()
	st.mu.Unlock()
	sk.close()
	st.s.remove(st.id)
	if cmd != 0 {
		st.s.queueCtrl(cmd, st.id, 0)
	}
	return nil
}

// sessionDied fails the stream after the session ended.
func (st *Stream) sessionDied() {
	st.mu.Lock()
	st.wakeLocked()
	sk := st.stopSinkLocked()
	st.mu.Unlock()
	sk.close()
}

func (st *Stream) readErrLocked() error {
	if st.rerr != nil {
		return st.rerr
	}
	if st.s.IsClosed() {
		return st.s.err
	}
	return nil
}

func (st *Stream) writeErrLocked() error {
	if st.werr != nil {
		return st.werr
	}
	if st.s.IsClosed() {
		return st.s.err
	}
	return nil
}

// maxBatch bounds the frames one Write hands to the transport at once.
const maxBatch = 16

var _ net.Conn = (*Stream)(nil)
