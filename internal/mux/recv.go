package mux

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// recvLoop reads frames until the transport fails or the peer breaks the
// protocol, then ends the session. It never blocks on a stream.
func (s *Session) recvLoop(r *bufio.Reader) {
	defer s.wg.Done()
	var hb [hdrLen + 4]byte
	for {
		h, err := readHeader(r, hb[:])
		if err == nil {
			err = s.handle(r, h, hb[:])
		}
		if err != nil {
			s.shutdown(fmt.Errorf("read: %w", err))
			return
		}
	}
}

func (s *Session) handle(r *bufio.Reader, h header, scratch []byte) error {
	switch h.cmd {
	case cmdSYN:
		return s.handleSYN(r, h)
	case cmdDATA:
		st := s.lookup(h.id)
		if st == nil {
			_, err := r.Discard(h.length)
			return err
		}
		return s.handleData(r, st, h)
	case cmdWINDOW:
		if _, err := io.ReadFull(r, scratch[:4]); err != nil {
			return err
		}
		if st := s.lookup(h.id); st != nil {
			return st.addCredit(binary.BigEndian.Uint32(scratch[:4]))
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

// handleSYN creates the stream the peer opened and queues it for Accept;
// beyond MaxStreams or the backlog it is reset.
func (s *Session) handleSYN(r *bufio.Reader, h header) error {
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
		_, err := r.Discard(h.length)
		return err
	}
	if h.length > 0 {
		if err := s.handleData(r, st, h); err != nil {
			return err
		}
	}
	// Only the receive loop sends on accept and it checked for room.
	s.accept <- st
	return nil
}

// handleData reads a payload into a pooled buffer and hands it to st.
func (s *Session) handleData(r *bufio.Reader, st *Stream, h header) error {
	p := getBuf(h.length)
	if _, err := io.ReadFull(r, (*p)[:h.length]); err != nil {
		putBuf(p)
		return err
	}
	return st.deliver(p, h.length)
}

// deliver queues n received bytes held in p (or writes them to the sink).
func (st *Stream) deliver(p *[]byte, n int) error {
	st.mu.Lock()
	if st.flags&(fClosed|fRstRecv) != 0 {
		st.mu.Unlock()
		putBuf(p)
		return nil
	}
	if st.flags&fFinRecv != 0 {
		st.mu.Unlock()
		putBuf(p)
		return fmt.Errorf("%w: data after FIN on stream %d", ErrProtocol, st.id)
	}
	st.inflight += int32(n)
	if st.inflight > st.win {
		st.mu.Unlock()
		putBuf(p)
		return fmt.Errorf("%w: stream %d sent %d bytes beyond its %d-byte window", ErrProtocol, st.id, st.inflight-st.win, st.win)
	}
	if st.sink != nil {
		st.sinkDeliverLocked(p, n) // unlocks
		return nil
	}
	st.rq = appendChunk(st.rq, p, n)
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
