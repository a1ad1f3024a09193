package mux

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame commands.
const (
	cmdSYN    byte = 1 // open a stream; the payload is its first data
	cmdDATA   byte = 2
	cmdFIN    byte = 3 // no more data from the sender
	cmdRST    byte = 4 // abort the stream in both directions
	cmdWINDOW byte = 5 // 4-byte big-endian credit increment
)

const (
	hdrLen = 8
	// maxPayload is the largest payload a frame can carry (a 16-bit length).
	maxPayload = 65535
	// initialWindow is the credit each direction of a new stream starts
	// with; a receiver grants more with its first frame.
	initialWindow = 64 << 10
	// maxWindow bounds Config.Window and the credit a peer may grant.
	maxWindow = 1 << 30
)

// ErrProtocol is wrapped by every error that means the peer broke the
// framing rules; the session is closed when one occurs.
var ErrProtocol = errors.New("mux: protocol error")

// header is a decoded frame header.
type header struct {
	cmd    byte
	length int
	id     uint32
}

func cmdName(c byte) string {
	switch c {
	case cmdSYN:
		return "SYN"
	case cmdDATA:
		return "DATA"
	case cmdFIN:
		return "FIN"
	case cmdRST:
		return "RST"
	case cmdWINDOW:
		return "WINDOW"
	}
	return fmt.Sprintf("cmd %d", c)
}

// appendHeader appends a frame header to b.
func appendHeader(b []byte, cmd byte, id uint32, n int) []byte {
	return append(b, cmd, 0, byte(n>>8), byte(n), byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

// appendWindow appends a whole WINDOW frame granting n bytes.
func appendWindow(b []byte, id uint32, n uint32) []byte {
	b = appendHeader(b, cmdWINDOW, id, 4)
	return binary.BigEndian.AppendUint32(b, n)
}

// parseHeader decodes and validates an 8-byte header.
func parseHeader(b []byte) (header, error) {
	h := header{cmd: b[0], length: int(binary.BigEndian.Uint16(b[2:])), id: binary.BigEndian.Uint32(b[4:])}
	if b[1] != 0 {
		return h, fmt.Errorf("%w: %s frame on stream %d has unknown flags %#x", ErrProtocol, cmdName(h.cmd), h.id, b[1])
	}
	if h.id == 0 {
		return h, fmt.Errorf("%w: %s frame on stream 0", ErrProtocol, cmdName(h.cmd))
	}
	want := -1
	switch h.cmd {
	case cmdSYN, cmdDATA:
	case cmdFIN, cmdRST:
		want = 0
	case cmdWINDOW:
		want = 4
	default:
		return h, fmt.Errorf("%w: unknown command %d on stream %d", ErrProtocol, h.cmd, h.id)
	}
	if want >= 0 && h.length != want {
		return h, fmt.Errorf("%w: %s frame on stream %d has length %d, want %d", ErrProtocol, cmdName(h.cmd), h.id, h.length, want)
	}
	return h, nil
}
