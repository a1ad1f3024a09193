package tunnel

import (
	"crypto/tls"
	"net"
	"sync"

	"github.com/autovpn/autovpn/internal/rawsock"
)

// BatchConn is the plain TCP connection under a TLS tunnel. crypto/tls
// writes one record (at most 16 KiB) per Write: a 256 KiB tunnel write
// would cost 16 system calls. While the tunnel writes a frame, BatchConn
// collects the records and sends them with one writev when the frame is
// done (see wsConn.finishAndWrite). Reads and writes go through rawsock.
// Close, addresses and deadlines are the wrapped connection's, so a
// listener wrapper's Close still releases its slot.
type BatchConn struct {
	*rawsock.Conn

	mu       sync.Mutex
	batching bool
	buf      []byte

	// noWait makes Read return rawsock.ErrWouldBlock instead of waiting.
	// Only the tunnel's one reader touches it (see wsConn.readMore).
	noWait bool
}

// Read reads from the socket; with noWait set it does not wait for data.
func (b *BatchConn) Read(p []byte) (int, error) {
	if b.noWait {
		return b.Conn.TryRead(p)
	}
	return b.Conn.Read(p)
}

// NewBatchConn wraps c when it is (or wraps, through WriteConn) a plain TCP
// connection and rawsock works here; otherwise it returns c unchanged.
func NewBatchConn(c net.Conn) net.Conn {
	rc, ok := rawsock.Wrap(c).(*rawsock.Conn)
	if !ok {
		return c
	}
	return &BatchConn{Conn: rc}
}

// Write sends p, or only copies it into the batch while one is open.
func (b *BatchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.batching {
		b.buf = append(b.buf, p...)
		b.mu.Unlock()
		return len(p), nil
	}
	b.mu.Unlock()
	return b.Conn.Write(p)
}

// begin opens a batch: writes are collected until end.
func (b *BatchConn) begin() {
	b.mu.Lock()
	b.batching = true
	b.mu.Unlock()
}

// end closes the batch and sends what it collected in one write. The
// buffer is kept for the next batch unless it grew past 2 MiB (a batch is
// one frame: at most 1 MiB of payload plus TLS overhead).
func (b *BatchConn) end() error {
	b.mu.Lock()
	b.batching = false
	buf := b.buf
	b.buf = nil
	b.mu.Unlock()
	if len(buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(buf)
	if cap(buf) <= 2<<20 {
		b.mu.Lock()
		if b.buf == nil {
			b.buf = buf[:0]
		}
		b.mu.Unlock()
	}
	return err
}

// batchOf returns the BatchConn under a TLS connection, or nil.
func batchOf(c net.Conn) *BatchConn {
	if tc, ok := c.(*tls.Conn); ok {
		bc, _ := tc.NetConn().(*BatchConn)
		return bc
	}
	return nil
}

// BatchListener wraps every connection ln accepts in a BatchConn (for a
// TLS listener on top of it).
func BatchListener(ln net.Listener) net.Listener { return batchListener{ln} }

type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return NewBatchConn(c), nil
}
