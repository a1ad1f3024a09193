package tunnel

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/autovpn/autovpn/internal/rawsock"
)

// wsConn is a net.Conn over a WebSocket connection carrying binary frames.
//
// gobwas/ws does the handshake and gives us the frame primitives; the
// stream adapter is ours because it sits on the tunnel's data path: it writes
// each multiplexer frame as exactly one WebSocket frame with one system call
// (writev on plain TCP), reads payload straight into the caller's buffer, and
// answers control frames in place. A generic message API would copy every
// byte once more.
type wsConn struct {
	conn   net.Conn      // TCP or TLS
	wconn  net.Conn      // where frames are written: conn, or the TCP conn under a wrapper
	br     *bufio.Reader // over conn, may hold bytes read during the handshake
	client bool          // a client masks what it writes
	plain  bool          // wconn is *net.TCPConn: writev is available
	raw    *rawsock.Conn // wconn with raw reads and writes, when available
	batch  *BatchConn    // under TLS: collects a frame's records

	// read side (one reader: the multiplexer's receive loop)
	remaining int64
	masked    bool
	mask      [4]byte
	maskOff   int
	ctrl      [125]byte

	wmu     sync.Mutex
	scratch []byte // client: masked copy; TLS: header+payload in one record
	hdr     [ws.MaxHeaderSize]byte
	bufs    net.Buffers // plain server: header + the caller's pieces

	lastRead atomic.Int64         // unix nanos of the last frame header read
	writing  atomic.Int64         // unix nanos when the write in progress began; 0: none
	onPong   func(payload []byte) // called from Read for every pong
	closed   atomic.Bool
}

func newWSConn(conn net.Conn, buffered []byte, client bool) *wsConn {
	var r io.Reader = conn
	if len(buffered) > 0 {
		r = io.MultiReader(bytesReader(buffered), conn)
	}
	wconn := conn
	// A wrapper (the server's per-source limit) may hand out its plain TCP
	// connection for writes. (Not tls.Conn.NetConn: that would skip TLS.)
	if u, ok := conn.(interface{ WriteConn() net.Conn }); ok {
		if tc, ok := u.WriteConn().(*net.TCPConn); ok {
			wconn = tc
		}
	}
	_, plain := wconn.(*net.TCPConn)
	raw, _ := rawsock.Wrap(wconn).(*rawsock.Conn)
	if raw != nil {
		if len(buffered) > 0 {
			r = io.MultiReader(bytesReader(buffered), raw)
		} else {
			r = raw
		}
	}
	c := &wsConn{conn: conn, wconn: wconn, raw: raw, batch: batchOf(wconn), br: bufio.NewReaderSize(r, 32<<10), client: client, plain: plain}
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

func bytesReader(b []byte) io.Reader {
	cp := append([]byte(nil), b...)
	return &sliceReader{b: cp}
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// Read reads payload bytes of binary frames, handling control frames.
func (c *wsConn) Read(p []byte) (int, error) {
	for c.remaining == 0 {
		if err := c.nextFrame(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	if err == nil && n > 0 && n < len(p) && c.batch != nil {
		n += c.readMore(p[n:])
	}
	if c.masked && n > 0 {
		ws.Cipher(p[:n], c.mask, c.maskOff)
		c.maskOff += n
	}
	c.remaining -= int64(n)
	if err == io.EOF && c.remaining > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readMore reads on into p, within the current frame's payload, what
// crypto/tls can deliver without waiting for the socket. crypto/tls returns
// one record (at most 16 KiB) per Read; without this the receive loop would
// hand each record on by itself, costing a sink write per 16 KiB where plain
// ws pays one per read of up to 512 KiB. It stops at the first read that
// would wait (or fails: the error comes back on the next Read).
func (c *wsConn) readMore(p []byte) int {
	c.batch.noWait = true
	n := 0
	for n < len(p) {
		k, err := c.br.Read(p[n:])
		n += k
		if err != nil || k == 0 {
			break
		}
	}
	c.batch.noWait = false
	return n
}

// nextFrame reads frame headers until a data frame with payload starts.
func (c *wsConn) nextFrame() error {
	h, err := ws.ReadHeader(c.br)
	if err != nil {
		return err
	}
	c.lastRead.Store(time.Now().UnixNano())
	if h.Masked == c.client {
		return fmt.Errorf("websocket: frame masking is wrong for this side (masked=%v)", h.Masked)
	}
	if h.OpCode.IsControl() {
		return c.control(h)
	}
	if h.OpCode != ws.OpBinary && h.OpCode != ws.OpContinuation {
		return fmt.Errorf("websocket: unexpected %v frame", h.OpCode)
	}
	c.remaining, c.masked, c.mask, c.maskOff = h.Length, h.Masked, h.Mask, 0
	return nil
}

func (c *wsConn) control(h ws.Header) error {
	if h.Length > int64(len(c.ctrl)) || !h.Fin {
		return errors.New("websocket: oversized or fragmented control frame")
	}
	p := c.ctrl[:h.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	switch h.OpCode {
	case ws.OpPing:
		return c.writeFrame(ws.OpPong, p)
	case ws.OpPong:
		if c.onPong != nil {
			c.onPong(p)
		}
		return nil
	case ws.OpClose:
		c.writeFrame(ws.OpClose, p) //nolint:errcheck // best effort echo
		return io.EOF
	}
	return fmt.Errorf("websocket: unknown control opcode %v", h.OpCode)
}

// Write sends p as one binary frame.
func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.writeFrame(ws.OpBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteBuffers sends the concatenation of v as one binary frame; the
// multiplexer uses it to hand over its header and payload without a copy.
func (c *wsConn) WriteBuffers(v [][]byte) (int, error) {
	total := 0
	for _, b := range v {
		total += len(b)
	}
	c.lockWrite()
	defer c.unlockWrite()
	if c.plain && !c.client {
		hn := putHeader(c.hdr[:], ws.OpBinary, total, nil)
		bufs := append(append(c.bufs[:0], c.hdr[:hn]), v...)
		n, err := c.writeBufs(bufs)
		clear(bufs)
		c.bufs = bufs[:0]
		return max(int(n)-hn, 0), err
	}
	if c.batch != nil && !c.client {
		if err := c.writeTLS(v, total); err != nil {
			return 0, err
		}
		return total, nil
	}
	buf := c.frameBuf(ws.OpBinary, total)
	off := len(buf) - total
	for _, b := range v {
		off += copy(buf[off:], b)
	}
	if err := c.finishAndWrite(buf, total); err != nil {
		return 0, err
	}
	return total, nil
}

// tlsRecord is the most plaintext crypto/tls puts into one record.
const tlsRecord = 16 << 10

// writeTLS sends the concatenation of v (total bytes) as one binary frame
// through TLS without assembling it first: crypto/tls copies every byte
// into its record anyway, so only the header and the bytes needed to fill
// the record it starts are copied here, and the rest of each large piece
// goes to crypto/tls as it is, in whole records. Every record but the last
// stays full. (A client masks its frames, so it copies everything.) The
// records leave together, in one writev. Called with wmu held.
func (c *wsConn) writeTLS(v [][]byte, total int) error {
	if cap(c.scratch) < ws.MaxHeaderSize+tlsRecord {
		c.scratch = make([]byte, ws.MaxHeaderSize+tlsRecord)
	}
	buf := c.scratch[:putHeader(c.scratch[:ws.MaxHeaderSize], ws.OpBinary, total, nil)]
	c.batch.begin()
	var err error
	for _, b := range v {
		room := tlsRecord - len(buf)
		if len(b) < room {
			buf = append(buf, b...)
			continue
		}
		buf = append(buf, b[:room]...)
		b = b[room:]
		whole := len(b) - len(b)%tlsRecord
		if _, err = c.wconn.Write(buf); err != nil {
			break
		}
		if whole > 0 {
			if _, err = c.wconn.Write(b[:whole]); err != nil {
				break
			}
		}
		buf = append(buf[:0], b[whole:]...)
	}
	if err == nil && len(buf) > 0 {
		_, err = c.wconn.Write(buf)
	}
	if ferr := c.batch.end(); err == nil {
		err = ferr
	}
	return err
}

func (c *wsConn) writeFrame(op ws.OpCode, p []byte) error {
	c.lockWrite()
	defer c.unlockWrite()
	if c.plain && !c.client {
		var hdr [ws.MaxHeaderSize]byte
		hn := putHeader(hdr[:], op, len(p), nil)
		_, err := c.writeBufs(net.Buffers{hdr[:hn], p})
		return err
	}
	buf := c.frameBuf(op, len(p))
	copy(buf[len(buf)-len(p):], p)
	return c.finishAndWrite(buf, len(p))
}

// frameBuf returns scratch holding a header for a frame of n bytes, sized
// to take the payload after it. Called with wmu held.
func (c *wsConn) frameBuf(op ws.OpCode, n int) []byte {
	need := ws.MaxHeaderSize + n
	if cap(c.scratch) < need {
		c.scratch = make([]byte, need)
	}
	var mask *[4]byte
	if c.client {
		m := ws.NewMask()
		mask = &m
	}
	hn := putHeader(c.scratch[:ws.MaxHeaderSize], op, n, mask)
	return c.scratch[:hn+n]
}

// finishAndWrite masks the payload (client side) and writes the frame.
func (c *wsConn) finishAndWrite(buf []byte, n int) error {
	if c.client {
		hn := len(buf) - n
		var mask [4]byte
		copy(mask[:], buf[hn-4:hn])
		ws.Cipher(buf[hn:], mask, 0)
	}
	if c.raw != nil {
		_, err := c.raw.Write(buf)
		return err
	}
	if c.batch != nil {
		// TLS: its records leave together, in one writev
		c.batch.begin()
		_, err := c.wconn.Write(buf)
		if ferr := c.batch.end(); err == nil {
			err = ferr
		}
		return err
	}
	_, err := c.wconn.Write(buf)
	return err
}

// writeBufs writes bufs in one writev on the plain TCP connection.
func (c *wsConn) writeBufs(bufs net.Buffers) (int64, error) {
	if c.raw != nil {
		n, err := c.raw.Writev(bufs)
		return int64(n), err
	}
	return bufs.WriteTo(c.wconn)
}

// putHeader writes a final-frame header into b and returns its length.
func putHeader(b []byte, op ws.OpCode, n int, mask *[4]byte) int {
	b[0] = 0x80 | byte(op)
	i := 2
	switch {
	case n < 126:
		b[1] = byte(n)
	case n <= 0xffff:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		i = 4
	default:
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
		i = 10
	}
	if mask != nil {
		b[1] |= 0x80
		copy(b[i:], mask[:])
		i += 4
	}
	return i
}

// Ping sends a ping carrying payload (at most 125 bytes).
func (c *wsConn) Ping(payload []byte) error { return c.writeFrame(ws.OpPing, payload) }

// Close sends a close frame (best effort, bounded) and closes the connection.
func (c *wsConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	// A writer stuck on a full socket must not hold Close up.
	c.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.writeFrame(ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, "")) //nolint:errcheck
	return c.conn.Close()
}

// lockWrite takes the write lock and marks a transport write as under way
// (see WritingSince); unlockWrite undoes both. One call and one deferred
// call, as the lock alone was: each more defer or inlined clock read grows
// the write paths' frames, and with them every relay goroutine's stack at
// its deepest point (TestIdleConnMemory).
func (c *wsConn) lockWrite() {
	c.wmu.Lock()
	c.writing.Store(time.Now().UnixNano())
}

func (c *wsConn) unlockWrite() {
	c.writing.Store(0)
	c.wmu.Unlock()
}

// WritingSince is when the transport write now under way began: a write
// that lasts is a peer that reads nothing. Zero when none is.
func (c *wsConn) WritingSince() time.Time {
	if t := c.writing.Load(); t != 0 {
		return time.Unix(0, t)
	}
	return time.Time{}
}

// LastRead is when the last frame arrived.
func (c *wsConn) LastRead() time.Time { return time.Unix(0, c.lastRead.Load()) }

func (c *wsConn) LocalAddr() net.Addr                { return c.conn.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr               { return c.conn.RemoteAddr() }
func (c *wsConn) SetDeadline(t time.Time) error      { return c.conn.SetDeadline(t) }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.conn.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }
