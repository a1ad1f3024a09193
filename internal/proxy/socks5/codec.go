// Package socks5 is the client's local SOCKS5 proxy (RFC 1928) with
// username/password authentication (RFC 1929), CONNECT and UDP ASSOCIATE.
// It takes a dial function and a packet function from its caller and knows
// nothing of the tunnel behind them. It never resolves names: a domain
// requested by a client reaches the dial function as a name, so local DNS
// never sees routed traffic.
package socks5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// Protocol constants (RFC 1928, RFC 1929).
const (
	MethodNoAuth   byte = 0x00
	MethodUserPass byte = 0x02
	MethodNone     byte = 0xFF // no acceptable method

	CmdConnect      byte = 0x01
	CmdBind         byte = 0x02
	CmdUDPAssociate byte = 0x03

	atypIPv4   byte = 0x01
	atypDomain byte = 0x03
	atypIPv6   byte = 0x04

	socksVersion byte = 0x05
	authVersion  byte = 0x01
)

// Sentinel errors of the codec; wrapped with detail.
var (
	ErrVersion    = errors.New("wrong protocol version")
	ErrAddrType   = errors.New("unsupported address type")
	ErrBadAddress = errors.New("malformed address")
	ErrFragment   = errors.New("fragmented datagram (FRAG != 0) not supported")
	ErrShort      = errors.New("truncated message")
)

// ReadGreeting reads the client's version/method-selection message and
// returns the methods it offers (possibly none).
func ReadGreeting(r io.Reader) (methods []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("socks5: read greeting: %w", err)
	}
	if h[0] != socksVersion {
		return nil, fmt.Errorf("socks5: greeting: %w: %d", ErrVersion, h[0])
	}
	methods = make([]byte, h[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return nil, fmt.Errorf("socks5: read greeting methods: %w", err)
	}
	return methods, nil
}

// ReadUserPass reads an RFC 1929 username/password request.
func ReadUserPass(r io.Reader) (user, pass string, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", "", fmt.Errorf("socks5: read auth: %w", err)
	}
	if h[0] != authVersion {
		return "", "", fmt.Errorf("socks5: auth: %w: %d", ErrVersion, h[0])
	}
	u := make([]byte, int(h[1])+1) // name and the password length byte
	if _, err := io.ReadFull(r, u); err != nil {
		return "", "", fmt.Errorf("socks5: read auth: %w", err)
	}
	p := make([]byte, u[len(u)-1])
	if _, err := io.ReadFull(r, p); err != nil {
		return "", "", fmt.Errorf("socks5: read auth: %w", err)
	}
	return string(u[:len(u)-1]), string(p), nil
}

// ReadRequest reads a SOCKS5 request and returns its command and the
// destination as "host:port": IPv4 as "a.b.c.d:p", IPv6 as "[v6]:p", a
// domain as the name given (unresolved). An unknown address type yields an
// error wrapping ErrAddrType, with cmd set.
func ReadRequest(r io.Reader) (cmd byte, addr string, err error) {
	var h [4]byte // VER CMD RSV ATYP
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, "", fmt.Errorf("socks5: read request: %w", err)
	}
	if h[0] != socksVersion {
		return 0, "", fmt.Errorf("socks5: request: %w: %d", ErrVersion, h[0])
	}
	cmd = h[1]
	addr, err = readAddr(r, h[3])
	if err != nil {
		return cmd, "", fmt.Errorf("socks5: request: %w", err)
	}
	return cmd, addr, nil
}

// readAddr reads DST.ADDR and DST.PORT of the given address type.
func readAddr(r io.Reader, atyp byte) (string, error) {
	var buf [1 + 1 + 255 + 2]byte
	buf[0] = atyp
	n := 0
	switch atyp {
	case atypIPv4:
		n = 1 + 4 + 2
	case atypIPv6:
		n = 1 + 16 + 2
	case atypDomain:
		if _, err := io.ReadFull(r, buf[1:2]); err != nil {
			return "", err
		}
		n = 2 + int(buf[1]) + 2
	default:
		return "", fmt.Errorf("%w: %#02x", ErrAddrType, atyp)
	}
	start := 1
	if atyp == atypDomain {
		start = 2
	}
	if _, err := io.ReadFull(r, buf[start:n]); err != nil {
		return "", err
	}
	addr, _, err := parseAddr(buf[:n])
	return addr, err
}

// parseAddr decodes ATYP, ADDR and PORT at the start of b, returning the
// address and the number of bytes used.
func parseAddr(b []byte) (string, int, error) {
	if len(b) < 1 {
		return "", 0, ErrShort
	}
	var host string
	var n int
	switch b[0] {
	case atypIPv4:
		if len(b) < 1+4+2 {
			return "", 0, ErrShort
		}
		host, n = netip.AddrFrom4([4]byte(b[1:5])).String(), 5
	case atypIPv6:
		if len(b) < 1+16+2 {
			return "", 0, ErrShort
		}
		host, n = netip.AddrFrom16([16]byte(b[1:17])).String(), 17
	case atypDomain:
		if len(b) < 2 || len(b) < 2+int(b[1])+2 {
			return "", 0, ErrShort
		}
		n = 2 + int(b[1])
		h, err := checkHost(string(b[2:n]))
		if err != nil {
			return "", 0, err
		}
		host = h
	default:
		return "", 0, fmt.Errorf("%w: %#02x", ErrAddrType, b[0])
	}
	port := binary.BigEndian.Uint16(b[n:])
	return net.JoinHostPort(host, strconv.Itoa(int(port))), n + 2, nil
}

// checkHost validates a domain as sent by a client. IP literals sent as
// domains are canonicalised; anything that is not a plausible host name is
// refused so that it cannot smuggle a port or a path into the address.
func checkHost(h string) (string, error) {
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", fmt.Errorf("%w: zoned address %q", ErrBadAddress, h)
		}
		return ip.String(), nil
	}
	if h == "" || len(h) > 255 {
		return "", fmt.Errorf("%w: empty or overlong name", ErrBadAddress)
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_'
		if !ok {
			return "", fmt.Errorf("%w: name %q has character %q", ErrBadAddress, h, c)
		}
	}
	return h, nil
}

// appendAddr appends ATYP, ADDR and PORT for "host:port".
func appendAddr(dst []byte, addr string) ([]byte, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return dst, fmt.Errorf("socks5: address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return dst, fmt.Errorf("socks5: address %q: %w: port %q", addr, ErrBadAddress, ps)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return appendAddrPort(dst, netip.AddrPortFrom(ip, uint16(port))), nil
	}
	if _, err := checkHost(host); err != nil {
		return dst, fmt.Errorf("socks5: address %q: %w", addr, err)
	}
	dst = append(dst, atypDomain, byte(len(host)))
	dst = append(dst, host...)
	return binary.BigEndian.AppendUint16(dst, uint16(port)), nil
}

// appendAddrPort appends an IP address (IPv4-mapped IPv6 as IPv4, zone
// dropped) and port.
func appendAddrPort(dst []byte, ap netip.AddrPort) []byte {
	ip := ap.Addr().Unmap()
	switch {
	case ip.Is4():
		a := ip.As4()
		dst = append(append(dst, atypIPv4), a[:]...)
	case ip.Is6():
		a := ip.As16()
		dst = append(append(dst, atypIPv6), a[:]...)
	default: // invalid: 0.0.0.0
		dst = append(dst, atypIPv4, 0, 0, 0, 0)
	}
	return binary.BigEndian.AppendUint16(dst, ap.Port())
}

// reply builds a server reply with BND.ADDR taken from bnd when it is a TCP
// or UDP address, else 0.0.0.0:0.
func reply(rep byte, bnd net.Addr) []byte {
	var ap netip.AddrPort
	switch a := bnd.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	}
	return appendAddrPort([]byte{socksVersion, rep, 0}, ap)
}

// ParseUDPHeader decodes the RFC 1928 §7 header of a UDP datagram and
// returns the destination ("host:port", names unresolved) and the payload,
// which aliases b. Fragments (FRAG != 0) are refused with ErrFragment.
func ParseUDPHeader(b []byte) (addr string, payload []byte, err error) {
	if len(b) < 4 {
		return "", nil, fmt.Errorf("socks5: udp header: %w", ErrShort)
	}
	if b[2] != 0 {
		return "", nil, fmt.Errorf("socks5: udp header: %w", ErrFragment)
	}
	addr, n, err := parseAddr(b[3:])
	if err != nil {
		return "", nil, fmt.Errorf("socks5: udp header: %w", err)
	}
	return addr, b[3+n:], nil
}

// AppendUDPHeader appends the RFC 1928 §7 header for a datagram from or to
// addr ("host:port") to dst.
func AppendUDPHeader(dst []byte, addr string) ([]byte, error) {
	return appendAddr(append(dst, 0, 0, 0), addr)
}
