// Package netx holds the small network vocabulary shared by every part of
// autovpn: dial function types, the packet connection used for UDP through the
// tunnel, the result codes a tunnelled dial can end with (and how they map to
// SOCKS5 replies and HTTP statuses), and the RFC 8305 Happy Eyeballs dialer.
package netx

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is the outcome of a dial made on the far side of the tunnel. The values
// are part of the wire protocol: never renumber them.
type Code uint8

const (
	OK              Code = 0
	GeneralFailure  Code = 1  // anything not covered below
	Denied          Code = 2  // destination policy refused it
	NetUnreachable  Code = 3  // no route to the network
	HostUnreachable Code = 4  // no route to the host
	Refused         Code = 5  // connection refused (RST)
	Timeout         Code = 6  // dial timed out
	Unsupported     Code = 7  // stream kind or command not supported
	BadAddress      Code = 8  // malformed or unsupported address
	NotFound        Code = 9  // the name does not exist (NXDOMAIN) or has no records
	NoFamily        Code = 10 // no address of a family the dialer can use ("no IPv6 route at server")
	TunnelDown      Code = 11 // no tunnel to the server could be used (client-side)
	ServerDraining  Code = 12 // the server is shutting down and opens no new stream; try another tunnel
)

var codeText = map[Code]string{
	OK:              "ok",
	GeneralFailure:  "general failure",
	Denied:          "destination denied by server policy",
	NetUnreachable:  "network unreachable",
	HostUnreachable: "host unreachable",
	Refused:         "connection refused",
	Timeout:         "connection timed out",
	Unsupported:     "command not supported",
	BadAddress:      "address not supported",
	NotFound:        "name not found",
	NoFamily:        "no address of a usable family",
	TunnelDown:      "tunnel to server is down",
	ServerDraining:  "server is shutting down",
}

func (c Code) String() string {
	if s, ok := codeText[c]; ok {
		return s
	}
	return fmt.Sprintf("result %d", uint8(c))
}

// SOCKS5 returns the SOCKS5 reply code (RFC 1928 §6) for c.
func (c Code) SOCKS5() byte {
	switch c {
	case OK:
		return 0x00
	case Denied:
		return 0x02
	case NetUnreachable:
		return 0x03
	case HostUnreachable, NotFound, NoFamily, Timeout:
		return 0x04
	case Refused:
		return 0x05
	case Unsupported:
		return 0x07
	case BadAddress:
		return 0x08
	default: // GeneralFailure, TunnelDown, ServerDraining
		return 0x01
	}
}

// HTTPStatus returns the HTTP status a proxy answers with for c.
func (c Code) HTTPStatus() int {
	switch c {
	case OK:
		return http.StatusOK
	case Denied:
		return http.StatusForbidden
	case Timeout:
		return http.StatusGatewayTimeout
	case BadAddress:
		return http.StatusBadRequest
	default:
		return http.StatusBadGateway
	}
}

// DialError is the error a tunnelled dial returns when the server (or the
// client, for TunnelDown) could not connect. Proxies turn it into a SOCKS5
// reply code or an HTTP status with CodeOf.
type DialError struct {
	Code Code
	Addr string // the destination as requested
	Msg  string // detail from the server, one line, no secrets
}

func (e *DialError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("dial %s: %s: %s", e.Addr, e.Code, e.Msg)
	}
	return fmt.Sprintf("dial %s: %s", e.Addr, e.Code)
}

// CodeOf extracts the result code from err: the Code of a *DialError in its
// chain, OK for nil, GeneralFailure otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var de *DialError
	if errors.As(err, &de) {
		return de.Code
	}
	return GeneralFailure
}
