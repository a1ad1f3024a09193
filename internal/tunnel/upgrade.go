package tunnel

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
)

// IsUpgrade reports whether r is a well-formed WebSocket upgrade (RFC 6455
// §4.2.1) asking for our subprotocol. The server answers anything else with
// a plain 404, so a malformed handshake to the right path gets the same
// answer as any other path rather than the WebSocket library's own 400.
func IsUpgrade(r *http.Request) bool {
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	return r.Method == http.MethodGet && r.ProtoAtLeast(1, 1) &&
		hasToken(r.Header, "Connection", "upgrade") &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		r.Header.Get("Sec-WebSocket-Version") == "13" &&
		err == nil && len(key) == 16 &&
		hasToken(r.Header, "Sec-WebSocket-Protocol", Subprotocol)
}

// hasToken reports whether the comma-separated header name lists token
// (case-insensitively), on any of its lines.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Upgrade completes the WebSocket handshake of an authenticated request and
// returns the server half of the Session. The caller has already checked
// the path and IsUpgrade.
func Upgrade(w http.ResponseWriter, r *http.Request, log *slog.Logger) (*Session, error) {
	interval := DefaultKeepalive
	if v, err := strconv.ParseFloat(r.Header.Get(KeepaliveHeader), 64); err == nil && v >= 0.01 && v <= 3600 {
		interval = time.Duration(v * float64(time.Second))
	}
	u := ws.HTTPUpgrader{
		Timeout:  10 * time.Second,
		Protocol: func(p string) bool { return p == Subprotocol },
	}
	conn, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	var buffered []byte
	if n := rw.Reader.Buffered(); n > 0 {
		buffered, _ = rw.Reader.Peek(n)
	}
	// The server allows one extra interval of slack: the client pings every
	// interval and declares the server dead after three of silence.
	return newSession(newWSConn(conn, buffered, false), false, interval+interval/3, log, nil)
}
