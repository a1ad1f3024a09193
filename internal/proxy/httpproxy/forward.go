package httpproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// hopHeaders are never forwarded either way (RFC 9110 §7.6.1), with any
// Proxy-* header and those named in Connection.
var hopHeaders = []string{"Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
	for k := range h {
		if strings.HasPrefix(k, "Proxy-") {
			delete(h, k)
		}
	}
}

// upstream is a connection to an origin server, kept per client connection.
type upstream struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
}

// clientConn is what a client connection keeps between its requests.
type clientConn struct {
	st *state
	mu sync.Mutex
	up *upstream
}

// take returns the kept upstream when it goes to addr, closing any other.
func (cc *clientConn) take(addr string) *upstream {
	cc.mu.Lock()
	up := cc.up
	cc.up = nil
	cc.mu.Unlock()
	if up != nil && up.addr != addr {
		cc.st.closeUpstream(up)
		return nil
	}
	return up
}

func (cc *clientConn) keep(up *upstream) {
	cc.mu.Lock()
	old := cc.up
	cc.up = up
	cc.mu.Unlock()
	if old != nil {
		cc.st.closeUpstream(old)
	}
}

func (cc *clientConn) dropUpstream() {
	cc.mu.Lock()
	up := cc.up
	cc.up = nil
	cc.mu.Unlock()
	if up != nil {
		cc.st.closeUpstream(up)
	}
}

func (st *state) closeUpstream(up *upstream) {
	up.conn.Close()
	st.conns.Remove(up.conn)
}

// forward relays an absolute-URI request to its origin and streams the
// response back.
func (st *state) forward(w http.ResponseWriter, r *http.Request) {
	if r.URL.Scheme != "http" {
		replyError(w, http.StatusBadRequest, fmt.Sprintf("scheme %q cannot be forwarded; use CONNECT for https", r.URL.Scheme))
		return
	}
	addr, err := parseAuthority(r.URL.Host, "80")
	if err != nil {
		replyError(w, http.StatusBadRequest, err.Error())
		return
	}
	cc, _ := r.Context().Value(ctxKey{}).(*clientConn)
	out := outgoing(r)
	resp, up, err := st.roundTrip(r.Context(), cc, addr, out)
	if err != nil {
		st.log.Debug("http forward failed", "addr", addr, "err", err)
		var de *dialFailure
		if errors.As(err, &de) {
			replyDialError(w, de.err)
			return
		}
		replyError(w, http.StatusBadGateway, fmt.Sprintf("upstream %s: %v", addr, err))
		return
	}
	removeHopByHop(resp.Header)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	stop := interruptOnDone(r.Context(), up.conn) // an origin that never ends its body
	err = copyBody(w, resp.Body)
	stop()
	resp.Body.Close()
	if err != nil {
		st.closeUpstream(up)
		// Abort so the client sees a truncated response, not a complete one.
		panic(http.ErrAbortHandler)
	}
	if resp.Close || cc == nil {
		st.closeUpstream(up)
		return
	}
	cc.keep(up)
}

// interruptOnDone makes conn's blocked and later reads and writes fail once
// ctx is done (an expired deadline), until the returned stop is called. The
// request's context ends when the client's connection closes, so a client
// that gives up never leaves a stream through the tunnel waiting on an
// origin that does not answer.
func interruptOnDone(ctx context.Context, conn net.Conn) (stop func()) {
	unhook := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() { unhook() }
}

// dialFailure marks an error from Dial so it maps to its result code.
type dialFailure struct{ err error }

func (e *dialFailure) Error() string { return e.err.Error() }
func (e *dialFailure) Unwrap() error { return e.err }

// outgoing is r as the origin must see it: origin-form, Host from the URL,
// no hop-by-hop headers, no Go default User-Agent.
func outgoing(r *http.Request) *http.Request {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Host = r.URL.Host
	out.URL.User = nil
	out.Close = false
	out.Trailer = nil
	removeHopByHop(out.Header)
	out.Header.Del("Expect") // the server already answered 100-continue to the client
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""}
	}
	return out
}

// roundTrip sends req on the kept upstream for addr, or a new one, and
// reads the response head. A kept connection the origin has closed is
// retried once on a new one when the request has no body.
func (st *state) roundTrip(ctx context.Context, cc *clientConn, addr string, req *http.Request) (*http.Response, *upstream, error) {
	var up *upstream
	if cc != nil {
		up = cc.take(addr)
	}
	if up != nil {
		resp, err := send(ctx, up, req)
		if err == nil {
			return resp, up, nil
		}
		st.closeUpstream(up)
		if req.Body != nil && req.Body != http.NoBody {
			return nil, nil, err
		}
	}
	conn, err := st.srv.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, &dialFailure{err}
	}
	if !st.conns.Add(conn) {
		conn.Close()
		return nil, nil, errors.New("proxy is shutting down")
	}
	up = &upstream{addr: addr, conn: conn, br: bufio.NewReader(conn)}
	resp, err := send(ctx, up, req)
	if err != nil {
		st.closeUpstream(up)
		return nil, nil, err
	}
	return resp, up, nil
}

// send writes req and reads the final response head, skipping 1xx. When
// ctx ends first (the client has gone), the upstream's I/O is cut short.
func send(ctx context.Context, up *upstream, req *http.Request) (*http.Response, error) {
	defer interruptOnDone(ctx, up.conn)()
	if err := req.Write(up.conn); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(up.br, req)
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			resp.Body.Close()
			return nil, errors.New("origin switched protocols, which a forwarding proxy cannot carry")
		case resp.StatusCode >= 100 && resp.StatusCode < 200:
			continue
		}
		return resp, nil
	}
}

// copyBody streams body to w, flushing after every read so that slow
// responses (events, long polls) are not held back.
func copyBody(w http.ResponseWriter, body io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if ferr := rc.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
