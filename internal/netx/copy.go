package netx

import (
	"io"
	"net"
	"sync"
)

// relayBufSize is one bulk read from a socket: sixteen full tunnel frames
// (65535 bytes of payload each), which leave in one transport write.
// Bulk transfers pay per system call and per wake-up far more than per
// byte, so each read should take as much as the socket holds: 1 MiB
// instead of 256 KiB cut the CPU per GiB from 1.62 to 1.23 s with 8
// streams (bench/ab.sh, docs/benchmarks.md). The buffer is pooled and held
// only for one read and its write, and only once a connection has shown
// bulk traffic (see copyReady), so idle connections do not pay for it.
const relayBufSize = 16 * 65535

var bufPool = sync.Pool{New: func() any { b := make([]byte, relayBufSize); return &b }}

// smallBufSize is the first read of a connection (copyReady): interactive
// traffic and the many short exchanges of opening connections never need
// more, and 10,000 connections opening at once should not each touch 256 KiB.
const smallBufSize = 16 << 10

var smallPool = sync.Pool{New: func() any { b := make([]byte, smallBufSize); return &b }}

// copyConn copies src to dst. A source that can write itself out (a tunnel
// stream hands over the buffers it already holds) does so. A TCP source is
// read only when it is readable, with a pooled buffer taken for that read
// alone: an idle connection holds no buffer, which is what keeps 10,000 idle
// tunnelled connections cheap (see copyReady).
func copyConn(dst, src net.Conn) (int64, error) {
	if tc, ok := src.(*net.TCPConn); ok {
		if n, err, ok := copyReady(dst, tc); ok {
			return n, err
		}
	} else if wt, ok := src.(io.WriterTo); ok {
		return wt.WriteTo(dst)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *bp)
}
