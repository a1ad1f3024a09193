//go:build linux

package rawsock

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether the raw paths are in use on this system.
const Supported = true

// Read reads into p once the socket is readable, like net.Conn.Read
// (0, nil means end of stream). Deadlines and Close are honoured through rc.
func Read(rc syscall.RawConn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var (
		n  int
		en syscall.Errno
	)
	err := rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			n, en = int(r), e
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	if en != 0 {
		return 0, en
	}
	return n, nil
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
