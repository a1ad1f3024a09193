package mux

import (
	"encoding/binary"
	"fmt"
	"io"
)

// recvBufSize is the receive loop's read buffer. One read takes whatever
// the transport holds, up to this much, and every frame in it is handled
// before the next read: on a bulk transfer the cost is in system calls and
// wake-ups, not in bytes, so a read should be as large as a sender's write
// (four full frames, see Stream.Write) and more.
const recvBufSize = 512 << 10

// frameReader reads the transport into one buffer and hands out frame
// headers and payload pieces from it without copying.
//
// Payload pieces for one stream are collected while they follow each other
// in the buffer and handed over together (one writev into a sink) when
// another stream's frame or a control frame comes, or before the next read
// (which may move the buffer's contents).
type frameReader struct {
	r        io.Reader
	buf      []byte
	off, end int

	pst   *Stream  // whose pieces are pending
	pbufs [][]byte // pending pieces, slices of buf
}

// add collects a payload piece for st, first handing over another
// stream's pending pieces.
func (fr *frameReader) add(st *Stream, b []byte) error {
	if fr.pst != st {
		if err := fr.flush(); err != nil {
			return err
		}
		fr.pst = st
	}
	fr.pbufs = append(fr.pbufs, b)
	return nil
}

// flush hands the pending pieces to their stream.
func (fr *frameReader) flush() error {
	if fr.pst == nil {
		return nil
	}
	err := fr.pst.deliver(fr.pbufs)
	clear(fr.pbufs)
	fr.pbufs, fr.pst = fr.pbufs[:0], nil
	return err
}

// fill reads once more, first handing over pending pieces and moving the
// unread tail (less than a header) to the front.
func (fr *frameReader) fill() error {
	if err := fr.flush(); err != nil {
		return err
	}
	if fr.off > 0 {
		fr.end = copy(fr.buf, fr.buf[fr.off:fr.end])
		fr.off = 0
	}
	for {
		n, err := fr.r.Read(fr.buf[fr.end:])
		fr.end += n
		if n > 0 {
			return nil
		}
		if err == nil {
			continue
		}
		if err == io.EOF && fr.end > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
}

// next returns the next n bytes (n ≤ 12), reading as needed.
func (fr *frameReader) next(n int) ([]byte, error) {
	for fr.end-fr.off < n {
		if err := fr.fill(); err != nil {
			return nil, err
		}
	}
	b := fr.buf[fr.off : fr.off+n]
	fr.off += n
	return b, nil
}

// piece returns up to n buffered payload bytes (at least one), reading
// when nothing is buffered. The slice is valid until the next call.
func (fr *frameReader) piece(n int) ([]byte, error) {
	if fr.off == fr.end {
		if err := fr.fill(); err != nil {
			return nil, err
		}
	}
	k := min(n, fr.end-fr.off)
	b := fr.buf[fr.off : fr.off+k]
	fr.off += k
	return b, nil
}

// recvLoop reads frames until the transport fails or the peer breaks the
// protocol, then ends the session. It never blocks on a stream. Payloads
// are delivered piece by piece as they arrive, straight from the read
// buffer: into a sink socket, or copied onto the stream's queue.
func (s *Session) recvLoop() {
	defer s.wg.Done()
	fr := &frameReader{r: s.conn, buf: make([]byte, recvBufSize)}
	for {
		err := s.recvFrame(fr)
		if err != nil {
			s.shutdown(fmt.Errorf("read: %w", err))
			return
		}
	}
}

func (s *Session) recvFrame(fr *frameReader) error {
	hb, err := fr.next(hdrLen)
	if err != nil {
		return err
	}
	h, err := parseHeader(hb)
	if err != nil {
		return err
	}
	if h.cmd == cmdDATA {
		return s.payload(fr, s.lookup(h.id), h.length)
	}
	// Anything else may depend on what came before it being delivered.
	if err := fr.flush(); err != nil {
		return err
	}
	switch h.cmd {
	case cmdSYN:
		return s.handleSYN(fr, h)
	case cmdWINDOW:
		b, err := fr.next(4)
		if err != nil {
			return err
		}
		if st := s.lookup(h.id); st != nil {
			return st.addCredit(binary.BigEndian.Uint32(b))
		}
	case cmdFIN:
		if st := s.lookup(h.id); st != nil {
			st.finReceived()
		}
	case cmdRST:
		if st := s.lookup(h.id); st != nil {
			s.remove(h.id)
			st.resetReceived()
		}
	}
	return nil
}

// payload hands n payload bytes to st piece by piece (st nil: discards).
func (s *Session) payload(fr *frameReader, st *Stream, n int) error {
	for n > 0 {
		b, err := fr.piece(n)
		if err != nil {
			return err
		}
		n -= len(b)
		if st != nil {
			if err := fr.add(st, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// handleSYN creates the stream the peer opened and queues it for Accept;
// beyond MaxStreams or the backlog it is reset.
func (s *Session) handleSYN(fr *frameReader, h header) error {
	if h.id%2 == 1 != !s.client {
		return fmt.Errorf("%w: SYN for stream %d has our parity", ErrProtocol, h.id)
	}
	s.mu.Lock()
	if s.streams[h.id] != nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: SYN for open stream %d", ErrProtocol, h.id)
	}
	var st *Stream
	if len(s.streams) < s.cfg.MaxStreams && len(s.accept) < cap(s.accept) {
		st = newStream(s, h.id)
		st.flags = fSynSent // the peer knows it; our first frame is DATA
		s.streams[h.id] = st
	}
	s.mu.Unlock()
	if st == nil {
		s.queueCtrl(cmdRST, h.id, 0)
		return s.payload(fr, nil, h.length)
	}
	if err := s.payload(fr, st, h.length); err != nil {
		return err
	}
	if err := fr.flush(); err != nil {
		return err
	}
	// Only the receive loop sends on accept and it checked for room.
	s.accept <- st
	return nil
}

// deliver queues received pieces v (slices of the receive loop's buffer,
// valid only for this call) or writes them to the sink.
func (st *Stream) deliver(v [][]byte) error {
	n := 0
	for _, b := range v {
		n += len(b)
	}
	st.mu.Lock()
	if st.flags&(fClosed|fRstRecv) != 0 {
		st.mu.Unlock()
		return nil
	}
	if st.flags&fFinRecv != 0 {
		st.mu.Unlock()
		return fmt.Errorf("%w: data after FIN on stream %d", ErrProtocol, st.id)
	}
	st.inflight += int32(n)
	if st.inflight > st.win {
		st.mu.Unlock()
		return fmt.Errorf("%w: stream %d sent %d bytes beyond its %d-byte window", ErrProtocol, st.id, st.inflight-st.win, st.win)
	}
	if st.sink != nil {
		st.sinkDeliverLocked(v, n) // unlocks
		return nil
	}
	for _, b := range v {
		st.rq = appendBytes(st.rq, b)
	}
	st.wakeReaderLocked()
	st.mu.Unlock()
	return nil
}

func (st *Stream) addCredit(n uint32) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if int64(st.credit)+int64(n) > maxWindow {
		return fmt.Errorf("%w: stream %d granted credit beyond %d bytes", ErrProtocol, st.id, maxWindow)
	}
	st.credit += int(n)
	if st.wwait != nil {
		close(st.wwait)
		st.wwait = nil
	}
	return nil
}

func (st *Stream) finReceived() {
	st.mu.Lock()
	st.flags |= fFinRecv
	if st.rerr == nil {
		st.rerr = io.EOF
	}
	st.wakeReaderLocked()
	if st.sink != nil {
		st.sinkFinLocked() // unlocks
		return
	}
	st.mu.Unlock()
}

func (st *Stream) resetReceived() {
	st.mu.Lock()
	st.flags |= fRstRecv
	if st.rerr == nil {
		st.rerr = ErrReset
	}
	if st.werr == nil || st.werr == ErrWriteClosed {
		st.werr = ErrReset
	}
	st.wakeLocked()
	sk := st.stopSinkLocked()
	st.mu.Unlock()
	sk.close()
}
