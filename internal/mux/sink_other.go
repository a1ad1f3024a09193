//go:build !unix

package mux

import (
	"errors"
	"net"
)

// SetSink is only available on unix; callers fall back to WriteTo.
func (st *Stream) SetSink(c *net.TCPConn) error {
	return errors.ErrUnsupported
}

func (sk *sink) writeNow(v [][]byte) (int, error) { return 0, errors.ErrUnsupported }
