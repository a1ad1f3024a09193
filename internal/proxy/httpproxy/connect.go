package httpproxy

import (
	"io"
	"net"
	"net/http"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// connect serves CONNECT host:port: dial, answer 200, relay.
func (st *state) connect(w http.ResponseWriter, r *http.Request) {
	addr, err := parseAuthority(r.RequestURI, "")
	if err != nil {
		w.Header().Set("Connection", "close")
		replyError(w, http.StatusBadRequest, err.Error())
		return
	}
	up, err := st.srv.Dial(r.Context(), "tcp", addr)
	if err != nil {
		st.log.Debug("http connect failed", "addr", addr, "err", err)
		// Whatever the client sent after the CONNECT is tunnel data, not HTTP.
		w.Header().Set("Connection", "close")
		replyDialError(w, err)
		return
	}
	if !st.conns.Add(up) {
		up.Close()
		return
	}
	defer st.conns.Remove(up)
	st.log.Debug("http connect", "addr", addr)
	st.tunnel(w, up)
}

// tunnel takes over the client connection, answers 200 and relays it to up.
func (st *state) tunnel(w http.ResponseWriter, up net.Conn) {
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		replyError(w, http.StatusInternalServerError, "cannot take over the connection: "+err.Error())
		return
	}
	if !st.conns.Add(c) {
		c.Close()
		up.Close()
		return
	}
	defer st.conns.Remove(c)
	c.SetDeadline(time.Time{})
	_, err = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	// Bytes the client pipelined after the request sit in the server's reader.
	if n := brw.Reader.Buffered(); err == nil && n > 0 {
		b, _ := brw.Reader.Peek(n)
		_, err = up.Write(b)
	}
	if err != nil {
		c.Close()
		up.Close()
		return
	}
	netx.Relay(c, up)
}
