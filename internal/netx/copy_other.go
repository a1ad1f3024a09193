//go:build !unix

package netx

import (
	"io"
	"net"
)

// copyReady is unix-only; elsewhere copyConn falls back to io.CopyBuffer.
func copyReady(io.Writer, *net.TCPConn) (int64, error, bool) { return 0, nil, false }
