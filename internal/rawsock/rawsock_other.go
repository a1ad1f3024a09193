//go:build !linux

package rawsock

import (
	"errors"
	"net"
	"syscall"
)

// Supported reports whether the raw paths are in use on this system.
const Supported = false

var errUnsupported = errors.ErrUnsupported

// Read is not available here; callers use the net package instead.
func Read(rc syscall.RawConn, p []byte) (int, error) { return 0, errUnsupported }

// TryWritev is not available here.
func TryWritev(rc syscall.RawConn, v [][]byte) (int, error) { return 0, errUnsupported }

// Writev is not available here.
func Writev(rc syscall.RawConn, v [][]byte) (int, error) { return 0, errUnsupported }

// Conn is never made here (Wrap returns its argument).
type Conn struct{ net.Conn }

// Wrap returns c: raw paths are not available here.
func Wrap(c net.Conn) net.Conn { return c }

// Writev is never called here (no Conn is made).
func (c *Conn) Writev(v [][]byte) (int, error) { return 0, errUnsupported }

// TryRead is never called here (no Conn is made).
func (c *Conn) TryRead(p []byte) (int, error) { return 0, errUnsupported }
