package mux

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Config tunes a session. The zero value is ready to use.
type Config struct {
	// MaxFrame is the largest payload of a data frame we send; 0 means
	// 65535 (what one socket read yields), the maximum.
	MaxFrame int
	// Window is the per-stream receive window in bytes; 0 means 1 MiB
	// (bulk throughput needs ≥ 512 KiB on loopback). Values below 64 KiB
	// are raised to it.
	Window int
	// MaxStreams bounds open streams; 0 means 65536. Streams the peer
	// opens beyond it are reset; Open beyond it fails.
	MaxStreams int
	// AcceptBacklog is how many opened streams may wait for Accept; 0
	// means 1024. Streams beyond it are reset.
	AcceptBacklog int
}

func (c Config) withDefaults() Config {
	if c.MaxFrame <= 0 || c.MaxFrame > maxPayload {
		c.MaxFrame = maxPayload
	}
	if c.Window <= 0 {
		c.Window = 1 << 20
	}
	c.Window = min(max(c.Window, initialWindow), maxWindow)
	if c.MaxStreams <= 0 {
		c.MaxStreams = 65536
	}
	if c.AcceptBacklog <= 0 {
		c.AcceptBacklog = 1024
	}
	return c
}

// ErrReset is returned by a stream the peer aborted (RST).
var ErrReset = errors.New("mux: stream reset by peer")

// ErrWriteClosed is returned by Write after CloseWrite.
var ErrWriteClosed = errors.New("mux: write after CloseWrite")

// errStreamClosed is returned by a stream after its own Close.
var errStreamClosed = fmt.Errorf("mux: stream closed: %w", net.ErrClosed)

// buffersWriter is a transport that writes several buffers as one unit
// (the tunnel's WebSocket connection: one frame, one writev).
type buffersWriter interface {
	WriteBuffers(v [][]byte) (int, error)
}

// Session multiplexes streams over one transport connection.
type Session struct {
	conn   io.ReadWriteCloser
	bw     buffersWriter // nil: see writeVec
	cfg    Config
	client bool

	// write side: everything below wmu is scratch owned by the lock holder
	wmu    sync.Mutex
	hbuf   []byte
	gbuf   []byte
	vec    [][]byte
	cspare []byte
	cat    []byte
	vecs   [][]byte
	nb     net.Buffers

	// control frames queued by goroutines that must not block on the
	// transport (the receive loop, above all); see queueCtrl
	cmu      sync.Mutex
	ctrl     []byte
	flushing bool
	cdead    bool

	mu      sync.Mutex
	streams map[uint32]*Stream
	nextID  uint32
	accept  chan *Stream

	die     chan struct{}
	dieOnce sync.Once
	err     error // why the session ended; set before die is closed
	wg      sync.WaitGroup
}

// Client starts the client half of a session on conn (odd stream ids).
func Client(conn io.ReadWriteCloser, cfg Config) *Session { return newSession(conn, cfg, true) }

// Server starts the server half of a session on conn (even stream ids).
func Server(conn io.ReadWriteCloser, cfg Config) *Session { return newSession(conn, cfg, false) }

func newSession(conn io.ReadWriteCloser, cfg Config, client bool) *Session {
	cfg = cfg.withDefaults()
	s := &Session{
		conn:    conn,
		cfg:     cfg,
		client:  client,
		hbuf:    make([]byte, 0, 2*hdrLen),
		gbuf:    make([]byte, 0, hdrLen+4),
		vec:     make([][]byte, 0, 4),
		streams: make(map[uint32]*Stream),
		accept:  make(chan *Stream, cfg.AcceptBacklog),
		die:     make(chan struct{}),
		nextID:  2,
	}
	if client {
		s.nextID = 1
	}
	s.bw, _ = conn.(buffersWriter)
	s.wg.Add(1)
	go s.recvLoop()
	return s
}

// Open creates a stream. It does no I/O: the SYN rides with the stream's
// first Write (or CloseWrite).
func (s *Session) Open() (*Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.IsClosed() {
		return nil, s.err
	}
	if len(s.streams) >= s.cfg.MaxStreams {
		return nil, fmt.Errorf("mux: open: %d streams already open (MaxStreams)", len(s.streams))
	}
	if s.nextID > 1<<32-3 {
		return nil, errors.New("mux: open: stream ids exhausted")
	}
	st := newStream(s, s.nextID)
	s.nextID += 2
	s.streams[st.id] = st
	return st, nil
}

// Accept waits for a stream the peer opened.
func (s *Session) Accept() (*Stream, error) {
	select {
	case st := <-s.accept:
		return st, nil
	case <-s.die:
		return nil, s.err
	}
}

// NumStreams is the number of streams neither closed nor reset.
func (s *Session) NumStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// CloseChan is closed when the session has ended.
func (s *Session) CloseChan() <-chan struct{} { return s.die }

// IsClosed reports whether the session has ended.
func (s *Session) IsClosed() bool {
	select {
	case <-s.die:
		return true
	default:
		return false
	}
}

// Err is why the session ended (nil while it runs).
func (s *Session) Err() error {
	if s.IsClosed() {
		return s.err
	}
	return nil
}

// Close ends the session: the transport is closed, every stream fails and
// every sink connection is closed. It is idempotent and waits for the
// session's goroutines.
func (s *Session) Close() error {
	s.shutdown(net.ErrClosed)
	s.wg.Wait()
	return nil
}

// shutdown ends the session without waiting (the receive loop calls it).
func (s *Session) shutdown(cause error) {
	s.dieOnce.Do(func() {
		if errors.Is(cause, net.ErrClosed) {
			s.err = fmt.Errorf("mux: session closed: %w", cause)
		} else {
			s.err = fmt.Errorf("mux: session ended: %w (%w)", cause, net.ErrClosed)
		}
		s.cmu.Lock()
		s.cdead = true
		s.cmu.Unlock()
		close(s.die)
		s.conn.Close()
		s.mu.Lock()
		all := make([]*Stream, 0, len(s.streams))
		for _, st := range s.streams {
			all = append(all, st)
		}
		s.mu.Unlock()
		for _, st := range all {
			st.sessionDied()
		}
	})
}

func (s *Session) lookup(id uint32) *Stream {
	s.mu.Lock()
	st := s.streams[id]
	s.mu.Unlock()
	return st
}

func (s *Session) remove(id uint32) {
	s.mu.Lock()
	delete(s.streams, id)
	s.mu.Unlock()
}

func (s *Session) localAddr() net.Addr {
	if c, ok := s.conn.(interface{ LocalAddr() net.Addr }); ok {
		return c.LocalAddr()
	}
	return muxAddr{}
}

func (s *Session) remoteAddr() net.Addr {
	if c, ok := s.conn.(interface{ RemoteAddr() net.Addr }); ok {
		return c.RemoteAddr()
	}
	return muxAddr{}
}

type muxAddr struct{}

func (muxAddr) Network() string { return "mux" }
func (muxAddr) String() string  { return "mux" }
