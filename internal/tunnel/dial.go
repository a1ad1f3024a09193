package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/autovpn/autovpn/internal/tlsutil"
	"github.com/gobwas/ws"
)

// ClientOptions says how to reach the server over an established connection.
type ClientOptions struct {
	Prefix    string        // secret path prefix (never logged)
	Host      string        // Host header and TLS server name; the dialled address when empty
	TLS       bool          // wss://
	TLSPin    []byte        // SHA-256 of the server's DER certificate; when set it replaces CA verification
	Keepalive time.Duration // ping interval; 0 → DefaultKeepalive
	Log       *slog.Logger
	OnRTT     func(time.Duration) // called with every keepalive round trip (nil: none)
}

// ErrPinMismatch is returned when the server's certificate does not match TLSPin.
var ErrPinMismatch = tlsutil.ErrPinMismatch

// ErrRejected is returned when the server answers the upgrade with an HTTP
// status (a wrong PREFIX gets 404, like any unknown path).
var ErrRejected = errors.New("server refused the tunnel")

// Handshake turns conn (a fresh TCP connection to the server) into a tunnel
// Session: TLS when asked, WebSocket upgrade on the secret path, multiplexer.
// ctx bounds the whole handshake. On error conn is closed.
func Handshake(ctx context.Context, conn net.Conn, o ClientOptions) (*Session, error) {
	s, err := handshake(ctx, conn, o)
	if err != nil {
		conn.Close()
	}
	return s, err
}

func handshake(ctx context.Context, conn net.Conn, o ClientOptions) (*Session, error) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	host := o.Host
	if host == "" {
		host = conn.RemoteAddr().String()
	}
	scheme := "ws"
	if o.TLS {
		scheme = "wss"
		tc := tls.Client(NewBatchConn(conn), ClientTLSConfig(host, o.TLSPin))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake with %s: %w", conn.RemoteAddr(), err)
		}
		conn = tc
	}
	u := &url.URL{Scheme: scheme, Host: host, Path: Path(o.Prefix)}
	ka := o.Keepalive
	if ka <= 0 {
		ka = DefaultKeepalive
	}
	var status int
	d := ws.Dialer{
		Protocols:     []string{Subprotocol},
		Header:        ws.HandshakeHeaderHTTP(http.Header{KeepaliveHeader: {strconv.FormatFloat(ka.Seconds(), 'f', -1, 64)}}),
		OnStatusError: func(st int, _ []byte, _ io.Reader) { status = st },
	}
	br, _, err := d.Upgrade(conn, u)
	if err != nil {
		if status != 0 {
			return nil, fmt.Errorf("%w: %s answered HTTP %d (wrong PREFIX, or not an autovpn server)", ErrRejected, conn.RemoteAddr(), status)
		}
		return nil, fmt.Errorf("websocket upgrade with %s: %w", conn.RemoteAddr(), err)
	}
	var buffered []byte
	if br != nil {
		buffered, _ = br.Peek(br.Buffered())
		defer ws.PutReader(br)
	}
	conn.SetDeadline(time.Time{})
	return newSession(newWSConn(conn, buffered, true), true, ka, o.Log, o.OnRTT)
}

// ClientTLSConfig is the client's TLS configuration for the server at
// hostport: with a pin, exactly the pinned certificate is accepted (a
// self-signed certificate is then safe); without one, CA verification.
func ClientTLSConfig(hostport string, pin []byte) *tls.Config {
	name, _, err := net.SplitHostPort(hostport)
	if err != nil {
		name = hostport
	}
	cfg := &tls.Config{ServerName: name, MinVersion: tls.VersionTLS12}
	if len(pin) > 0 {
		cfg.InsecureSkipVerify = true // VerifyPeerCertificate below is the verification
		cfg.VerifyPeerCertificate = tlsutil.VerifyPin(pin)
	}
	return cfg
}
