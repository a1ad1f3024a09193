package netx

import (
	"io"
	"net"
	"sync"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyConn copies src to dst with a pooled buffer.
func copyConn(dst, src net.Conn) (int64, error) {
	if wt, ok := src.(io.WriterTo); ok {
		if _, isTCP := src.(*net.TCPConn); !isTCP {
			return wt.WriteTo(dst)
		}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *bp)
}
