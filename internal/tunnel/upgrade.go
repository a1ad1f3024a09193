package tunnel

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
)

// IsUpgrade reports whether r asks for a WebSocket upgrade with our
// subprotocol. The server answers anything else with a plain 404.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), Subprotocol)
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
