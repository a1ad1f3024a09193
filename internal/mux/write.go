package mux

import (
	"fmt"
	"net"
)

// writeFrame sends p for st as DATA frames (or a FIN with no payload),
// from the calling goroutine, in one transport write; the caller holds
// credit for all of p. The stream's first frame becomes a SYN (a FIN
// on a never-written stream is preceded by an empty SYN). The first frame
// either side sends on a stream carries the receive-window grant beyond
// the initial window. Queued control frames ride along.
func (s *Session) writeFrame(st *Stream, cmd byte, p []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	v, err := s.frames(st, cmd, p)
	if err != nil {
		return err
	}
	return s.writeLocked(v)
}

// frames lays out what writeFrame sends. It is a function of its own, not
// inlined, so that its locals are off the stack by the time the transport
// write runs: that write is the deepest point of a relay goroutine, and a
// few hundred bytes there double every idle connection's stack (4 KiB per
// connection, measured with TestIdleConnMemory).
//
//go:noinline
func (s *Session) frames(st *Stream, cmd byte, p []byte) ([][]byte, error) {
	st.mu.Lock()
	if err := st.writeErrLocked(); err != nil {
		st.mu.Unlock()
		return nil, err
	}
	first := st.flags&fSynSent == 0
	st.flags |= fSynSent
	if cmd == cmdFIN {
		st.flags |= fFinSent
		st.werr = ErrWriteClosed
	}
	var grant uint32
	if st.win < int32(s.cfg.Window) {
		grant = st.takeGrantLocked()
	}
	st.mu.Unlock()

	// Each frame carries at most MaxFrame bytes; all of them leave in one
	// transport write. hbuf holds every header, so it is grown first: the
	// slices taken of it below must not move.
	frames := max(1, (len(p)+s.cfg.MaxFrame-1)/s.cfg.MaxFrame)
	if need := (frames + 1) * hdrLen; cap(s.hbuf) < need {
		s.hbuf = make([]byte, 0, need)
	}
	h := s.hbuf[:0]
	v := s.vec[:0]
	if first && cmd == cmdFIN {
		h = appendHeader(h, cmdSYN, st.id, 0)
		v = append(v, h)
	}
	for i := 0; i < frames; i++ {
		k := min(len(p), s.cfg.MaxFrame)
		c := cmd
		if first && i == 0 && c == cmdDATA {
			c = cmdSYN
		}
		start := len(h)
		h = appendHeader(h, c, st.id, k)
		v = append(v, h[start:])
		if k > 0 {
			v = append(v, p[:k])
		}
		p = p[k:]
		if i == 0 && grant > 0 {
			// after the SYN's payload: the peer must know the stream first
			v = append(v, appendWindow(s.gbuf[:0], st.id, grant))
		}
	}
	return v, nil
}

// writeLocked writes v plus any queued control frames. Called with wmu
// held. A failed transport write ends the session: a partial frame cannot
// be taken back.
func (s *Session) writeLocked(v [][]byte) error {
	s.cmu.Lock()
	ctrl := s.ctrl
	s.ctrl = s.cspare[:0]
	s.cmu.Unlock()
	if len(ctrl) > 0 {
		v = append(v, ctrl)
	}
	err := s.writeVec(v)
	s.cspare = ctrl[:0]
	s.vec = v[:0]
	clear(v[:cap(v)])
	if err != nil {
		s.shutdown(err)
		return s.err
	}
	return nil
}

// writeVec writes the buffers as one unit: WriteBuffers when the transport
// has it, writev on a TCP connection, else one Write of the concatenation.
func (s *Session) writeVec(v [][]byte) error {
	if s.bw != nil {
		_, err := s.bw.WriteBuffers(v)
		return err
	}
	if tc, ok := s.conn.(*net.TCPConn); ok {
		s.vecs = append(s.vecs[:0], v...)
		s.nb = s.vecs // WriteTo consumes nb, not vecs
		_, err := s.nb.WriteTo(tc)
		clear(s.vecs)
		return err
	}
	b := s.cat[:0]
	for _, p := range v {
		b = append(b, p...)
	}
	s.cat = b[:0]
	_, err := s.conn.Write(b)
	return err
}

// maxCtrlQueue bounds the control frames waiting for the transport: a
// peer that sends while reading nothing is disconnected when it is reached
// (about 130,000 frames; a working peer's queue holds a few at a time).
const maxCtrlQueue = 1 << 20

// queueCtrl queues a control frame for id without blocking: the receive
// loop must never wait on the transport, or two peers whose sockets are
// both full would each wait for the other to read. The frame leaves with
// the next data frame any writer sends, or from a short-lived flusher
// goroutine started here when none is running.
func (s *Session) queueCtrl(cmd byte, id uint32, credit uint32) {
	s.cmu.Lock()
	if s.cdead {
		s.cmu.Unlock()
		return
	}
	if len(s.ctrl) >= maxCtrlQueue {
		// The peer keeps sending (each refused SYN costs us an RST) but
		// reads nothing: the queue would grow without end.
		s.cmu.Unlock()
		s.shutdown(fmt.Errorf("mux: peer reads nothing: %d bytes of control frames queued", maxCtrlQueue))
		return
	}
	if cmd == cmdWINDOW {
		s.ctrl = appendWindow(s.ctrl, id, credit)
	} else {
		s.ctrl = appendHeader(s.ctrl, cmd, id, 0)
	}
	start := !s.flushing
	if start {
		s.flushing = true
		s.wg.Add(1)
	}
	s.cmu.Unlock()
	if start {
		go s.flushCtrl()
	}
}

// flushCtrl writes queued control frames until none are left.
func (s *Session) flushCtrl() {
	defer s.wg.Done()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for {
		s.cmu.Lock()
		if len(s.ctrl) == 0 || s.cdead {
			s.flushing = false
			s.cmu.Unlock()
			return
		}
		s.cmu.Unlock()
		if s.writeLocked(s.vec[:0]) != nil {
			s.cmu.Lock()
			s.flushing = false
			s.cmu.Unlock()
			return
		}
	}
}
