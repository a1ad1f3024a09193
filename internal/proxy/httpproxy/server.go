// Package httpproxy is the client's local HTTP proxy: CONNECT tunnels,
// absolute-URI forwarding of plain http:// requests, and the PAC file at
// /proxy.pac. It takes a dial function from its caller and knows nothing of
// the tunnel behind it; it never resolves names, so local DNS never sees
// routed traffic.
//
// The client side is net/http's server (request parsing, keep-alive, chunked
// bodies, header limits and timeouts are its well-tested job). The upstream
// side is hand-rolled on http.Request.Write and http.ReadResponse rather than
// an http.Transport: every dial goes through Dial with the request's context
// and its error reaches the reply unchanged, no connection or goroutine
// outlives Serve, and an upstream connection is kept only for the client
// connection that opened it.
package httpproxy

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// DefaultHandshakeTimeout bounds reading a request's line and headers when
// Server.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 10 * time.Second

const (
	maxHeaderBytes = 64 << 10
	idleTimeout    = 2 * time.Minute // keep-alive client connections
)

// Server is an HTTP proxy. Configure it with its fields, then call Serve.
type Server struct {
	// Dial opens CONNECT targets and forwarding upstreams; required. It gets
	// network "tcp" and "host:port", names unresolved, IPv6 as "[v6]:port".
	Dial netx.DialFunc
	// User and Pass, when either is set, require Proxy-Authorization Basic
	// on proxied requests (not on the PAC file). Both empty: no auth.
	User, Pass string
	// PAC returns the PAC file and its ETag for GET /proxy.pac; nil: 404.
	PAC func() (body []byte, etag string)
	// HandshakeTimeout bounds reading each request's line and headers; 0
	// means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// Log receives debug records per request; nil discards.
	Log *slog.Logger
}

// Serve accepts clients on ln until ctx is done (it returns nil) or ln fails
// (it returns the error). Either way it closes ln and every client and
// upstream connection, and returns only once its handlers have ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Dial == nil {
		return errors.New("httpproxy: Server.Dial is nil")
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &state{srv: s, log: s.log(), clients: make(map[net.Conn]*clientConn)}
	hs := s.httpServer(ctx, st)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		hs.Close()
		ln.Close()
		st.conns.CloseAll()
	}()
	err := hs.Serve(ln)
	cancel()
	wg.Wait()
	st.clientWG.Wait()
	st.handlerWG.Wait()
	if parent.Err() != nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("httpproxy: serve on %s: %w", ln.Addr(), err)
}

func (s *Server) httpServer(ctx context.Context, st *state) *http.Server {
	timeout := s.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	return &http.Server{
		Handler:           st,
		ReadHeaderTimeout: timeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		Protocols:         &protos,
		ErrorLog:          slog.NewLogLogger(st.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnContext:       st.connContext,
		ConnState:         st.connState,
	}
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// state is one Serve call's bookkeeping.
type state struct {
	srv       *Server
	log       *slog.Logger
	conns     netx.ConnSet   // hijacked clients and upstreams, closed on stop
	clientWG  sync.WaitGroup // client connections not yet closed or hijacked
	handlerWG sync.WaitGroup // running handlers (hijacked ones outlive their conn state)
	mu        sync.Mutex
	clients   map[net.Conn]*clientConn
}

type ctxKey struct{}

// connContext runs in Serve's accept loop before the connection's goroutine
// starts, so clientWG.Add always precedes the Wait.
func (st *state) connContext(ctx context.Context, c net.Conn) context.Context {
	cc := &clientConn{st: st}
	st.mu.Lock()
	st.clients[c] = cc
	st.mu.Unlock()
	st.clientWG.Add(1)
	return context.WithValue(ctx, ctxKey{}, cc)
}

func (st *state) connState(c net.Conn, cs http.ConnState) {
	if cs != http.StateClosed && cs != http.StateHijacked {
		return
	}
	st.mu.Lock()
	cc, ok := st.clients[c]
	delete(st.clients, c)
	st.mu.Unlock()
	if ok {
		cc.dropUpstream()
		st.clientWG.Done()
	}
}

func (st *state) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st.handlerWG.Add(1)
	defer st.handlerWG.Done()
	switch {
	case r.Method == http.MethodConnect:
		if st.authorized(w, r) {
			st.connect(w, r)
		}
	case r.URL.IsAbs():
		if st.authorized(w, r) {
			st.forward(w, r)
		}
	case r.URL.Path == "/proxy.pac" && r.URL.Host == "":
		st.pac(w, r)
	default:
		replyError(w, http.StatusNotFound, "not a proxy request and not /proxy.pac")
	}
}

// authorized checks Proxy-Authorization and answers 407 when it fails.
func (st *state) authorized(w http.ResponseWriter, r *http.Request) bool {
	s := st.srv
	if s.User == "" && s.Pass == "" {
		return true
	}
	user, pass, ok := parseBasic(r.Header.Get("Proxy-Authorization"))
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(s.User))
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.Pass))
	if ok && okUser&okPass == 1 {
		return true
	}
	w.Header().Set("Proxy-Authenticate", `Basic realm="autovpn"`)
	if r.Method == http.MethodConnect {
		// A CONNECT client may already have sent its tunnel's first bytes
		// (a TLS hello): they must not be read as the next request.
		w.Header().Set("Connection", "close")
	}
	replyError(w, http.StatusProxyAuthRequired, "proxy credentials missing or wrong")
	return false
}

// parseBasic decodes a "Basic base64(user:pass)" credential.
func parseBasic(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	return user, pass, true
}

// replyError answers status with a one-line text body naming the reason.
func replyError(w http.ResponseWriter, status int, reason string) {
	reason = strings.Join(strings.Fields(reason), " ")
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s: %s\n", status, http.StatusText(status), reason)
}

// replyDialError maps a Dial error to its status.
func replyDialError(w http.ResponseWriter, err error) {
	replyError(w, netx.CodeOf(err).HTTPStatus(), err.Error())
}

// pac serves the PAC file; conditional requests are ServeContent's job.
func (st *state) pac(w http.ResponseWriter, r *http.Request) {
	if st.srv.PAC == nil {
		replyError(w, http.StatusNotFound, "no PAC file is configured")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		replyError(w, http.StatusMethodNotAllowed, "the PAC file is read with GET")
		return
	}
	body, etag := st.srv.PAC()
	if body == nil { // an empty PAC would send everything direct
		replyError(w, http.StatusServiceUnavailable, "the PAC file is not available; see the client's log")
		return
	}
	if etag != "" && !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, `W/"`) {
		etag = `"` + etag + `"`
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ns-proxy-autoconfig")
	h.Set("Cache-Control", "no-cache")
	if etag != "" {
		h.Set("ETag", etag)
	}
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
}
