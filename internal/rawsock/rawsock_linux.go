//go:build linux

package rawsock

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether the raw paths are in use on this system.
const Supported = true

// Read reads into p once the socket is readable, like net.Conn.Read
// (0, nil means end of stream). Deadlines and Close are honoured through rc.
func Read(rc syscall.RawConn, p []byte) (int, error) { return read(rc, p, true) }

// read reads into p; when nothing is ready it waits for readability, or
// with !wait returns ErrWouldBlock at once.
func read(rc syscall.RawConn, p []byte, wait bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var (
		n  int
		en syscall.Errno
	)
	err := rc.Read(func(fd uintptr) bool {
		for {
			r, e := ReadFD(fd, p)
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN && wait:
				return false
			}
			n = r
			en, _ = e.(syscall.Errno)
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case en == unix.EAGAIN:
		return 0, ErrWouldBlock
	case en != 0:
		return 0, en
	}
	return n, nil
}

// ReadFD does one read of the non-blocking socket fd as a raw system call
// (for callers that wait for readiness themselves, through
// syscall.RawConn). On failure it returns -1 and the syscall.Errno.
func ReadFD(fd uintptr, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// TryWritev writes as much of v as the socket takes now, without waiting;
// EAGAIN counts as 0 bytes written. v is not modified.
func TryWritev(rc syscall.RawConn, v [][]byte) (int, error) {
	var (
		n  int
		en syscall.Errno
	)
	err := rc.Write(func(fd uintptr) bool {
		n, en = writev(fd, v)
		if en == unix.EAGAIN {
			n, en = 0, 0
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	if en != 0 {
		return n, en
	}
	return n, nil
}

// Writev writes all of v, waiting for room as needed, like
// net.Buffers.WriteTo on a TCP connection. v is not modified.
func Writev(rc syscall.RawConn, v [][]byte) (int, error) {
	total := 0
	var en syscall.Errno
	err := rc.Write(func(fd uintptr) bool {
		for len(v) > 0 {
			k, e := writev(fd, v)
			if e == unix.EAGAIN {
				return false
			}
			if e != 0 {
				en = e
				return true
			}
			total += k
			v = skip(v, k)
		}
		return true
	})
	if err != nil {
		return total, err
	}
	if en != 0 {
		return total, en
	}
	return total, nil
}

// maxIov bounds the pieces of one writev; more are written by later calls.
const maxIov = 16

// writev does one raw writev of (at most maxIov pieces of) v, skipping
// empty pieces, retrying EINTR.
func writev(fd uintptr, v [][]byte) (int, syscall.Errno) {
	var iov [maxIov]unix.Iovec
	cnt := 0
	for _, b := range v {
		if len(b) == 0 {
			continue
		}
		if cnt == maxIov {
			break
		}
		iov[cnt].Base = &b[0]
		iov[cnt].SetLen(len(b))
		cnt++
	}
	if cnt == 0 {
		return 0, 0
	}
	for {
		r, _, e := unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
		if e == unix.EINTR {
			continue
		}
		return int(r), e
	}
}

// skip drops the first k bytes of v. It copies the slice headers it changes
// so the caller's v is left alone.
func skip(v [][]byte, k int) [][]byte {
	for len(v) > 0 && k >= len(v[0]) {
		k -= len(v[0])
		v = v[1:]
	}
	if k > 0 {
		first := v[0][k:]
		rest := v[1:]
		v = append([][]byte{first}, rest...)
	}
	return v
}

// Conn is a net.Conn whose Read and Write are raw system calls on the
// plain TCP connection under it; everything else (Close, addresses,
// deadlines) is the wrapped connection's, so a wrapper's Close still does
// its own work.
type Conn struct {
	net.Conn
	rc syscall.RawConn
}

// Wrap returns c with raw reads and writes when it is, or wraps through
// WriteConn, a plain TCP connection; otherwise c itself.
func Wrap(c net.Conn) net.Conn {
	if rc := tcpRawConn(c); rc != nil {
		return &Conn{Conn: c, rc: rc}
	}
	return c
}

func tcpRawConn(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		if u, ok2 := c.(interface{ WriteConn() net.Conn }); ok2 {
			tc, ok = u.WriteConn().(*net.TCPConn)
		}
	}
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// Read is net.Conn's Read: io.EOF at the end of the stream.
func (c *Conn) Read(p []byte) (int, error) { return c.read(p, true) }

// TryRead is Read without waiting: when nothing is ready it returns
// ErrWouldBlock at once.
func (c *Conn) TryRead(p []byte) (int, error) { return c.read(p, false) }

func (c *Conn) read(p []byte, wait bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := read(c.rc, p, wait)
	switch {
	case err == ErrWouldBlock:
		return 0, err
	case err != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p.
func (c *Conn) Write(p []byte) (int, error) { return c.Writev([][]byte{p}) }

// Writev writes all of v in one writev where the socket takes it.
func (c *Conn) Writev(v [][]byte) (int, error) {
	n, err := Writev(c.rc, v)
	if err != nil {
		return n, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, nil
}

// Unwrap returns the wrapped connection.
func (c *Conn) Unwrap() net.Conn { return c.Conn }
