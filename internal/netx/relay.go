package netx

import (
	"errors"
	"io"
	"net"
	"sync"
)

// closeWriter is implemented by connections that can half-close (TCP, tunnel streams).
type closeWriter interface{ CloseWrite() error }

// Relay copies a→b and b→a until both directions end, half-closing the
// writer of each direction when its reader hits EOF, then closes both
// connections. It returns the bytes moved each way and the first error that
// was not a normal end of stream.
func Relay(a, b net.Conn) (aToB, bToA int64, err error) {
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
