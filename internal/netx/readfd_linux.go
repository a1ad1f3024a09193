package netx

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readFD reads a non-blocking socket with a raw system call, which the
// scheduler does not see: see package rawsock for why.
func readFD(fd uintptr, p []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, syscall.Errno(e)
	}
	return int(r), nil
}
