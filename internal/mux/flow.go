package mux

import (
	"os"
	"time"
)

// waitLocked waits (with st.mu released) until *ch is closed, the
// deadline passes or the session ends; the caller re-checks its condition.
func (st *Stream) waitLocked(ch *chan struct{}, deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	if *ch == nil {
		*ch = make(chan struct{})
	}
	c := *ch
	st.mu.Unlock()
	select {
	case <-c:
	case <-timeout:
	case <-st.s.die:
	}
	st.mu.Lock()
	return nil
}

func (st *Stream) wakeReaderLocked() {
	if st.rwait != nil {
		close(st.rwait)
		st.rwait = nil
	}
}

func (st *Stream) wakeLocked() {
	st.wakeReaderLocked()
	if st.wwait != nil {
		close(st.wwait)
		st.wwait = nil
	}
}

// consumeLocked records n bytes consumed and returns the credit to grant
// now: once half the window the peer knows of is consumed, that plus any
// window growth beyond it.
func (st *Stream) consumeLocked(n int) uint32 {
	st.unacked += int32(n)
	if st.unacked < st.win/2 {
		return 0
	}
	return st.takeGrantLocked()
}

// takeGrantLocked returns the consumed bytes plus the window growth to
// grant, and counts them as granted.
func (st *Stream) takeGrantLocked() uint32 {
	grow := int32(st.s.cfg.Window) - st.win
	g := st.unacked + grow
	if g <= 0 {
		return 0
	}
	st.inflight -= st.unacked
	st.unacked = 0
	st.win += grow
	return uint32(g)
}

func (st *Stream) sendGrant(g uint32) {
	if g > 0 {
		st.s.queueCtrl(cmdWINDOW, st.id, g)
	}
}

// SetDeadline sets the read and write deadlines.
func (st *Stream) SetDeadline(t time.Time) error {
	st.mu.Lock()
	st.rdl, st.wdl = t, t
	st.wakeLocked()
	st.mu.Unlock()
	return nil
}

// SetReadDeadline makes Read fail with os.ErrDeadlineExceeded after t.
func (st *Stream) SetReadDeadline(t time.Time) error {
	st.mu.Lock()
	st.rdl = t
	st.wakeReaderLocked()
	st.mu.Unlock()
	return nil
}

// SetWriteDeadline makes a Write waiting for credit fail with
// os.ErrDeadlineExceeded after t. It does not interrupt a transport write
// already under way (the tunnel's watchdog bounds those).
func (st *Stream) SetWriteDeadline(t time.Time) error {
	st.mu.Lock()
	st.wdl = t
	if st.wwait != nil {
		close(st.wwait)
		st.wwait = nil
	}
	st.mu.Unlock()
	return nil
}
