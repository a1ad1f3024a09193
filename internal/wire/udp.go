package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// A datagram on a UDP stream is framed as
//
//	address  len(2, big endian)  payload
//
// From the client the address is the destination (a name is resolved by the
// server); from the server it is the source.

// AppendDatagram appends one framed datagram.
func AppendDatagram(b []byte, a Addr, payload []byte) ([]byte, error) {
	if len(payload) > MaxDatagram {
		return b, fmt.Errorf("wire: datagram of %d bytes exceeds %d", len(payload), MaxDatagram)
	}
	b, err := AppendAddr(b, a)
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...), nil
}

// ReadDatagram reads one framed datagram into buf (which must hold
// MaxDatagram bytes) and returns its address and payload (a slice of buf).
func ReadDatagram(r io.Reader, buf []byte) (Addr, []byte, error) {
	a, err := ReadAddr(r)
	if err != nil {
		return a, nil, err
	}
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return a, nil, unexpected(err)
	}
	n := int(binary.BigEndian.Uint16(l[:]))
	if n > len(buf) {
		return a, nil, fmt.Errorf("wire: datagram of %d bytes exceeds buffer of %d", n, len(buf))
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return a, nil, unexpected(err)
	}
	return a, buf[:n], nil
}
