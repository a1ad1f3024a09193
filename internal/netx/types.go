package netx

import (
	"context"
	"net"
)

// DialFunc dials addr ("host:port"; host may be a name, an IPv4 or an IPv6
// literal) over network ("tcp", "tcp4", "tcp6"). Proxies receive one and never
// know whether it reaches the destination directly or through the tunnel.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// PacketConn carries UDP datagrams whose destination may be a name that the
// far side resolves. It is what SOCKS5 UDP ASSOCIATE and the UDP forward use.
type PacketConn interface {
	// ReadFrom reads one datagram; from is the "ip:port" it came from.
	ReadFrom(p []byte) (n int, from string, err error)
	// WriteTo sends one datagram to "host:port" (host: name or IP literal).
	WriteTo(p []byte, to string) (int, error)
	Close() error
}

// ListenPacketFunc opens a PacketConn (through the tunnel, or locally).
type ListenPacketFunc func(ctx context.Context) (PacketConn, error)
