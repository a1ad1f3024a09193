//go:build unix

package mux

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/autovpn/autovpn/internal/rawsock"
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

// writeNow writes as much of v as the socket takes without blocking, with
// one writev when v has several pieces. (A short write means the socket is
// full: trying again at once would only fail with EAGAIN.) v is not
// modified.
func (sk *sink) writeNow(v [][]byte) (int, error) {
	if rawsock.Supported {
		return rawsock.TryWritev(sk.rc, v)
	}
	n := 0
	var werr error
	err := sk.rc.Write(func(fd uintptr) bool {
		for {
			var e error
			if len(v) == 1 {
				n, e = unix.Write(int(fd), v[0])
			} else {
				n, e = unix.Writev(int(fd), v)
			}
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				n = 0
			case e != nil:
				n, werr = 0, e
			}
			return true
		}
	})
	if err == nil {
		err = werr
	}
	return n, err
}
