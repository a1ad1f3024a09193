package mux

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

var errSinkRead = errors.New("mux: stream delivers to a sink; Read and WriteTo are unavailable")

// sink is where the receive loop delivers a stream's data (see SetSink).
type sink struct {
	c        *net.TCPConn
	rc       syscall.RawConn
	q        []chunk // data the socket would not take yet
	draining bool    // a drain goroutine owns writing q
	finished bool    // done is closed or about to be
	written  int64   // bytes the socket has taken
	done     chan struct{}
}

// SinkBytes is how many bytes the sink connection has taken so far.
func (st *Stream) SinkBytes() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.sink == nil {
		return 0
	}
	return st.sink.written
}

// SinkDone is closed when the sink direction has ended: the peer's FIN was
// delivered and the sink connection half-closed, or the stream or session
// failed. It is nil before SetSink.
func (st *Stream) SinkDone() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.sink == nil {
		return nil
	}
	return st.sink.done
}

func (st *Stream) startSinkLocked(c *net.TCPConn, rc syscall.RawConn) error {
	switch {
	case st.sink != nil:
		return fmt.Errorf("mux: stream %d: sink already set", st.id)
	case st.flags&fClosed != 0:
		return errStreamClosed
	case st.flags&fRstRecv != 0:
		return ErrReset
	case st.s.IsClosed():
		return st.s.err
	}
	sk := &sink{c: c, rc: rc, done: make(chan struct{})}
	st.sink = sk
	st.wakeReaderLocked()
	if len(st.rq) > 0 {
		sk.q, st.rq = st.rq, nil
		st.startDrainLocked(sk)
	}
	return nil
}

func (st *Stream) startDrainLocked(sk *sink) {
	sk.draining = true
	st.s.wg.Add(1)
	go st.drain(sk)
}

// sinkDeliverLocked writes the n bytes of v to the sink without blocking
// and queues a copy of what the socket does not take. It unlocks st.mu.
func (st *Stream) sinkDeliverLocked(v [][]byte, n int) {
	sk := st.sink
	switch {
	case sk.finished:
		st.mu.Unlock()
		return
	case sk.draining:
		for _, b := range v {
			sk.q = appendBytes(sk.q, b)
		}
		st.mu.Unlock()
		return
	}
	w, err := sk.writeNow(v)
	if err != nil {
		st.sinkFailLocked(err)
		return
	}
	sk.written += int64(w)
	grant := st.consumeLocked(w)
	if w < n {
		for _, b := range v {
			if w >= len(b) {
				w -= len(b)
				continue
			}
			sk.q = appendBytes(sk.q, b[w:])
			w = 0
		}
		st.startDrainLocked(sk)
	}
	st.mu.Unlock()
	st.sendGrant(grant)
}

// drain writes queued sink data with blocking writes and exits when the
// queue is empty, half-closing the sink if the peer's FIN has arrived.
func (st *Stream) drain(sk *sink) {
	defer st.s.wg.Done()
	var q []chunk
	for {
		st.mu.Lock()
		if sk.finished {
			st.mu.Unlock()
			return
		}
		q, sk.q = sk.q, q[:0]
		if len(q) == 0 {
			sk.draining = false
			if st.flags&fFinRecv != 0 {
				st.sinkFinLocked()
			} else {
				st.mu.Unlock()
			}
			return
		}
		st.mu.Unlock()
		for i := range q {
			k, err := sk.c.Write(q[i].bytes())
			if err != nil {
				releaseChunks(q[i:])
				st.mu.Lock()
				st.sinkFailLocked(err)
				return
			}
			putBuf(q[i].p)
			q[i] = chunk{}
			st.mu.Lock()
			sk.written += int64(k)
			grant := st.consumeLocked(k)
			st.mu.Unlock()
			st.sendGrant(grant)
		}
	}
}

// sinkFinLocked half-closes the sink once nothing is queued. It unlocks.
func (st *Stream) sinkFinLocked() {
	sk := st.sink
	if sk.finished || sk.draining {
		st.mu.Unlock()
		return
	}
	sk.finished = true
	st.mu.Unlock()
	sk.c.CloseWrite()
	close(sk.done)
}

// sinkFailLocked handles a failed sink write (the local side went away):
// the stream is reset both here and at the peer. It unlocks.
func (st *Stream) sinkFailLocked(cause error) {
	err := fmt.Errorf("mux: stream %d: sink write: %w", st.id, cause)
	sk := st.stopSinkLocked()
	send := st.flags&(fSynSent|fClosed|fRstRecv|fRstSent) == fSynSent
	st.flags |= fRstSent
	st.rerr, st.werr = err, err
	st.wakeLocked()
	st.mu.Unlock()
	sk.close()
	if send {
		st.s.queueCtrl(cmdRST, st.id, 0)
	}
}

// stopSinkLocked ends the sink direction and drops queued data; the caller
// closes the returned sink's connection after unlocking.
func (st *Stream) stopSinkLocked() *sink {
	sk := st.sink
	if sk == nil {
		return nil
	}
	if !sk.finished {
		sk.finished = true
		close(sk.done)
	}
	releaseChunks(sk.q)
	sk.q = nil
	return sk
}

func (sk *sink) close() {
	if sk != nil {
		sk.c.Close()
	}
}
