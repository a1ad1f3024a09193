//go:build unix

package mux

import (
	"net"
	"syscall"
)

// SetSink makes the session deliver this stream's data straight into c:
// the receive loop writes each payload with a non-blocking write and
// returns credit at once; only when c would block is the rest queued for a
// short-lived goroutine. After the peer's FIN, c is half-closed
// (CloseWrite); after an RST, a session failure or Close, c is closed.
// SinkDone tells when that direction has ended. Read and WriteTo fail
// after SetSink; data already received goes to c first. The caller must
// not write to c itself any more.
func (st *Stream) SetSink(c *net.TCPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	st.mu.Lock()
	if err := st.startSinkLocked(c, rc); err != nil {
		st.mu.Unlock()
		return err
	}
	if st.flags&fFinRecv != 0 {
		st.sinkFinLocked()
		return nil
	}
	st.mu.Unlock()
	return nil
}

// writeNow writes as much of b as the socket takes without blocking.
func (sk *sink) writeNow(b []byte) (int, error) {
	n := 0
	var werr error
	err := sk.rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, e := syscall.Write(int(fd), b[n:])
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true
			case e != nil:
				werr = e
				return true
			case k == 0:
				return true
			}
			n += k
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}
