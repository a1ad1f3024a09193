//go:build unix

package netx

import (
	"io"
	"net"
	"syscall"

	"github.com/autovpn/autovpn/internal/rawsock"
)

// copyReady copies a TCP source by waiting for readability first (through
// the runtime's poller, no buffer held) and only then taking a pooled
// buffer for one non-blocking read. It is hand-rolled because io.Copy keeps
// a 32 KiB buffer per direction for the life of every connection, idle or
// not. ok is false when the socket offers no raw access.
func copyReady(dst io.Writer, src *net.TCPConn) (n int64, err error, ok bool) {
	rc, err := src.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	pool := &smallPool // until a read fills a small buffer
	for {
		var (
			bp   *[]byte
			got  int
			rerr error
		)
		werr := rc.Read(func(fd uintptr) bool {
			bp = pool.Get().(*[]byte)
			for {
				got, rerr = rawsock.ReadFD(fd, *bp)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				pool.Put(bp)
				return false // wait for readability, holding nothing
			}
			return true
		})
		switch {
		case werr != nil: // closed, deadline
			return n, werr, true
		case rerr != nil:
			pool.Put(bp)
			return n, &net.OpError{Op: "read", Net: "tcp", Source: src.LocalAddr(), Addr: src.RemoteAddr(), Err: rerr}, true
		case got <= 0:
			pool.Put(bp)
			return n, nil, true // EOF
		}
		w, err := dst.Write((*bp)[:got])
		full := got == len(*bp)
		pool.Put(bp)
		// A full read means a bulk transfer: read big from now on. A big
		// buffer that a small one would have held goes back to small.
		switch {
		case full && pool == &smallPool:
			pool = &bufPool
		case got <= smallBufSize && pool == &bufPool:
			pool = &smallPool
		}
		n += int64(w)
		if err != nil {
			return n, err, true
		}
	}
}
