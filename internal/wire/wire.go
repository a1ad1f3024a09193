// Package wire encodes and decodes autovpn's tunnel protocol: the open request
// that starts every multiplexed stream, the server's reply, the framing of UDP
// datagrams on a UDP stream and the resolve request/answer. It is pure (no I/O
// beyond the io.Reader/io.Writer it is given), bounded and fuzzed: everything
// it decodes comes from the network.
//
// Every stream starts with an Open from the client:
//
//	version(1)=1  kind(1)  policy(1)  address
//
// and the server answers with a Reply before any payload:
//
//	version(1)=1  code(1)  address(the one dialled, or none)  msglen(1) msg
//
// An address is atyp(1) followed by 4 bytes (atyp 1, IPv4), 16 bytes (atyp 4,
// IPv6) or len(1)+name (atyp 3), then port(2, big endian); atyp 0 is "none"
// and has no port.
package wire

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/autovpn/autovpn/internal/netx"
)

// Version is the protocol version carried by every Open and Reply.
const Version = 1

// Kind is the type of a stream.
type Kind uint8

const (
	KindTCP     Kind = 1 // a TCP connection to Open.Addr
	KindUDP     Kind = 2 // a UDP association: Datagram frames both ways
	KindResolve Kind = 3 // one ResolveRequest, one ResolveAnswer
)

func (k Kind) String() string {
	switch k {
	case KindTCP:
		return "tcp"
	case KindUDP:
		return "udp"
	case KindResolve:
		return "resolve"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Address types.
const (
	atypNone = 0
	atypIPv4 = 1
	atypName = 3
	atypIPv6 = 4
)

// Limits on what a peer may send.
const (
	MaxName     = 253   // longest DNS name
	MaxMsg      = 255   // longest reply message
	MaxDatagram = 65535 // longest UDP payload
	MaxNames    = 64    // names per resolve request
	MaxRecords  = 64    // records per name in a resolve answer
)

// Errors returned by the decoders. They are wrapped with detail.
var (
	ErrVersion = errors.New("wire: unsupported protocol version")
	ErrKind    = errors.New("wire: unknown stream kind")
	ErrAddress = errors.New("wire: malformed address")
	ErrPolicy  = errors.New("wire: unknown family policy")
	ErrTooMany = errors.New("wire: too many entries")
)

// Addr is a destination: either IP (valid) or Name, and a port.
type Addr struct {
	IP   netip.Addr
	Name string
	Port uint16
}

// ParseAddr parses "host:port" where host is an IPv4 literal, a bracketed
// IPv6 literal or a name.
func ParseAddr(hostport string) (Addr, error) {
	host, portStr, err := splitHostPort(hostport)
	if err != nil {
		return Addr{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return Addr{}, fmt.Errorf("%w: port %q in %q", ErrAddress, portStr, hostport)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return Addr{}, fmt.Errorf("%w: zoned address %q", ErrAddress, host)
		}
		return Addr{IP: ip, Port: uint16(port)}, nil
	}
	if host == "" || len(host) > MaxName {
		return Addr{}, fmt.Errorf("%w: host name of %d bytes in %q", ErrAddress, len(host), hostport)
	}
	return Addr{Name: host, Port: uint16(port)}, nil
}

func splitHostPort(s string) (host, port string, err error) {
	i := len(s) - 1
	for i >= 0 && s[i] != ':' {
		i--
	}
	if i < 0 {
		return "", "", fmt.Errorf("%w: missing port in %q", ErrAddress, s)
	}
	host, port = s[:i], s[i+1:]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port, nil
}

// String returns "host:port" with IPv6 in brackets.
func (a Addr) String() string {
	if a.IP.IsValid() {
		return netip.AddrPortFrom(a.IP, a.Port).String()
	}
	if a.Name == "" {
		return ""
	}
	return a.Name + ":" + strconv.Itoa(int(a.Port))
}

// IsZero reports whether a is "none".
func (a Addr) IsZero() bool { return !a.IP.IsValid() && a.Name == "" }

// AppendAddr appends the encoding of a.
func AppendAddr(b []byte, a Addr) ([]byte, error) {
	switch {
	case a.IP.Is4() || a.IP.Is4In6():
		ip := a.IP.Unmap().As4()
		b = append(b, atypIPv4)
		b = append(b, ip[:]...)
	case a.IP.Is6():
		ip := a.IP.As16()
		b = append(b, atypIPv6)
		b = append(b, ip[:]...)
	case a.Name != "":
		if len(a.Name) > MaxName {
			return b, fmt.Errorf("%w: name of %d bytes", ErrAddress, len(a.Name))
		}
		b = append(b, atypName, byte(len(a.Name)))
		b = append(b, a.Name...)
	default:
		return append(b, atypNone), nil
	}
	return append(b, byte(a.Port>>8), byte(a.Port)), nil
}

// ReadAddr decodes an address from r.
func ReadAddr(r io.Reader) (Addr, error) {
	var buf [256]byte
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return Addr{}, err
	}
	var a Addr
	switch buf[0] {
	case atypNone:
		return a, nil
	case atypIPv4:
		if _, err := io.ReadFull(r, buf[:4]); err != nil {
			return a, unexpected(err)
		}
		a.IP = netip.AddrFrom4([4]byte(buf[:4]))
	case atypIPv6:
		if _, err := io.ReadFull(r, buf[:16]); err != nil {
			return a, unexpected(err)
		}
		a.IP = netip.AddrFrom16([16]byte(buf[:16])).Unmap() // ::ffff:a.b.c.d is a.b.c.d, as AppendAddr writes it
	case atypName:
		if _, err := io.ReadFull(r, buf[:1]); err != nil {
			return a, unexpected(err)
		}
		n := int(buf[0])
		if n == 0 || n > MaxName {
			return a, fmt.Errorf("%w: name length %d", ErrAddress, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return a, unexpected(err)
		}
		a.Name = string(buf[:n])
	default:
		return a, fmt.Errorf("%w: address type %d", ErrAddress, buf[0])
	}
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return a, unexpected(err)
	}
	a.Port = uint16(buf[0])<<8 | uint16(buf[1])
	return a, nil
}

// unexpected turns a clean EOF in the middle of a message into ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Open is the first message on every stream.
type Open struct {
	Kind   Kind
	Policy netx.Policy
	Addr   Addr // destination (TCP, UDP forward target); none for resolve and SOCKS5 UDP
}

// AppendOpen appends the encoding of o.
func AppendOpen(b []byte, o Open) ([]byte, error) {
	b = append(b, Version, byte(o.Kind), byte(o.Policy))
	return AppendAddr(b, o.Addr)
}

// ReadOpen decodes an Open from r.
func ReadOpen(r io.Reader) (Open, error) {
	var h [3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Open{}, err
	}
	if h[0] != Version {
		return Open{}, fmt.Errorf("%w %d", ErrVersion, h[0])
	}
	o := Open{Kind: Kind(h[1]), Policy: netx.Policy(h[2])}
	if o.Kind < KindTCP || o.Kind > KindResolve {
		return o, fmt.Errorf("%w %d", ErrKind, h[1])
	}
	if !o.Policy.Valid() {
		return o, fmt.Errorf("%w %d", ErrPolicy, h[2])
	}
	var err error
	o.Addr, err = ReadAddr(r)
	return o, unexpected(err)
}

// Reply is the server's answer to an Open.
type Reply struct {
	Code netx.Code
	Addr Addr   // the address actually dialled (TCP) or bound (UDP); may be none
	Msg  string // one line of detail, at most MaxMsg bytes
}

// AppendReply appends the encoding of r; a long Msg is truncated.
func AppendReply(b []byte, r Reply) ([]byte, error) {
	b = append(b, Version, byte(r.Code))
	b, err := AppendAddr(b, r.Addr)
	if err != nil {
		return b, err
	}
	msg := r.Msg
	if len(msg) > MaxMsg {
		msg = msg[:MaxMsg]
	}
	b = append(b, byte(len(msg)))
	return append(b, msg...), nil
}

// ReadReply decodes a Reply from r.
func ReadReply(r io.Reader) (Reply, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Reply{}, err
	}
	if h[0] != Version {
		return Reply{}, fmt.Errorf("%w %d", ErrVersion, h[0])
	}
	rep := Reply{Code: netx.Code(h[1])}
	var err error
	if rep.Addr, err = ReadAddr(r); err != nil {
		return rep, unexpected(err)
	}
	var n [1]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return rep, unexpected(err)
	}
	msg := make([]byte, n[0])
	if _, err := io.ReadFull(r, msg); err != nil {
		return rep, unexpected(err)
	}
	rep.Msg = string(msg)
	return rep, nil
}

// Err returns nil for an OK reply, else a *netx.DialError for dst.
func (r Reply) Err(dst string) error {
	if r.Code == netx.OK {
		return nil
	}
	return &netx.DialError{Code: r.Code, Addr: dst, Msg: r.Msg}
}
