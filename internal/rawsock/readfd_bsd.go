//go:build unix && !linux

package rawsock

import "syscall"

// ReadFD does one read of fd (an ordinary system call here).
func ReadFD(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }
