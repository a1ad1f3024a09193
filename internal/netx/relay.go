package netx

import (
	"errors"
	"io"
	"net"
	"sync"
)

// closeWriter is implemented by connections that can half-close (TCP, tunnel streams).
type closeWriter interface{ CloseWrite() error }

// sinker is a tunnel stream that can deliver what it receives straight into
// a TCP socket from the tunnel's receive loop (mux.Stream), so no goroutine
// waits on that direction of an idle connection.
type sinker interface {
	SetSink(c *net.TCPConn) error
	SinkDone() <-chan struct{}
	SinkBytes() int64
}

// Relay copies a→b and b→a until both directions end, half-closing the
// writer of each direction when its reader hits EOF, then closes both
// connections. It returns the bytes moved each way and the first error that
// was not a normal end of stream.
func Relay(a, b net.Conn) (aToB, bToA int64, err error) {
	if n1, n2, err, ok := relaySink(a, b); ok {
		return n1, n2, err
	}
	if n2, n1, err, ok := relaySink(b, a); ok {
		return n1, n2, err
	}
	var wg sync.WaitGroup
	var errAB error
	wg.Add(1)
	go func() {
		defer wg.Done()
		aToB, errAB = copyHalf(b, a)
	}()
	var errBA error
	bToA, errBA = copyHalf(a, b)
	wg.Wait()
	a.Close()
	b.Close()
	return aToB, bToA, firstReal(errAB, errBA)
}

// relaySink relays a TCP connection and a tunnel stream with one goroutine:
// the stream's data goes straight into the socket, and the calling goroutine
// copies the socket into the stream. ok is false when a and b are not such
// a pair (or the stream cannot take a sink on this OS).
func relaySink(tcp, other net.Conn) (up, down int64, err error, ok bool) {
	tc, isTCP := tcp.(*net.TCPConn)
	st, isSinker := other.(sinker)
	if !isTCP || !isSinker || st.SetSink(tc) != nil {
		return 0, 0, nil, false
	}
	up, err = copyHalf(other, tcp)
	if err != nil {
		other.Close() // aborts the sink direction too
	}
	<-st.SinkDone()
	tcp.Close()
	other.Close()
	return up, st.SinkBytes(), firstReal(err), true
}

// copyHalf copies src to dst, then half-closes dst (or closes it, when it
// cannot half-close) so the peer sees the end of this direction.
func copyHalf(dst, src net.Conn) (int64, error) {
	n, err := copyConn(dst, src)
	if cw, ok := dst.(closeWriter); ok {
		cw.CloseWrite()
	} else {
		dst.Close()
	}
	if err != nil {
		// The other direction's error closes both ends; unblock our reader too.
		src.Close()
	}
	return n, err
}

func firstReal(errs ...error) error {
	for _, e := range errs {
		if e != nil && !errors.Is(e, io.EOF) && !errors.Is(e, net.ErrClosed) {
			return e
		}
	}
	return nil
}
