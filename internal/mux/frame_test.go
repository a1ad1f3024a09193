package mux

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    header
		wantErr bool
	}{
		{"syn", appendHeader(nil, cmdSYN, 1, 30), header{cmdSYN, 30, 1}, false},
		{"data max", appendHeader(nil, cmdDATA, 7, maxPayload), header{cmdDATA, maxPayload, 7}, false},
		{"fin", appendHeader(nil, cmdFIN, 2, 0), header{cmdFIN, 0, 2}, false},
		{"rst", appendHeader(nil, cmdRST, 2, 0), header{cmdRST, 0, 2}, false},
		{"window", appendHeader(nil, cmdWINDOW, 3, 4), header{cmdWINDOW, 4, 3}, false},
		{"unknown cmd", appendHeader(nil, 9, 1, 0), header{}, true},
		{"cmd zero", appendHeader(nil, 0, 1, 0), header{}, true},
		{"flags set", []byte{cmdDATA, 1, 0, 0, 0, 0, 0, 1}, header{}, true},
		{"stream zero", appendHeader(nil, cmdDATA, 0, 1), header{}, true},
		{"fin with payload", appendHeader(nil, cmdFIN, 1, 1), header{}, true},
		{"rst with payload", appendHeader(nil, cmdRST, 1, 3), header{}, true},
		{"window too long", appendHeader(nil, cmdWINDOW, 1, 8), header{}, true},
		{"window too short", appendHeader(nil, cmdWINDOW, 1, 2), header{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeader(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrProtocol) {
					t.Fatalf("parseHeader(%x) error = %v, want ErrProtocol", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseHeader(%x) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFrameReaderShort(t *testing.T) {
	fr := &frameReader{r: bytes.NewReader([]byte{cmdDATA, 0, 0}), buf: make([]byte, 64)}
	if _, err := fr.next(hdrLen); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short header: error = %v, want io.ErrUnexpectedEOF", err)
	}
	fr = &frameReader{r: bytes.NewReader(nil), buf: make([]byte, 64)}
	if _, err := fr.next(hdrLen); err != io.EOF {
		t.Fatalf("no header: error = %v, want io.EOF", err)
	}
}

// FuzzReadFrame decodes a byte stream frame by frame the way the receive
// loop does — frameReader over a reader that returns few bytes at a time,
// with a small buffer so the unread tail is moved often: every accepted
// header must re-encode to the same bytes and respect the per-command
// length rules, and payload pieces must add up to the payload's bytes.
func FuzzReadFrame(f *testing.F) {
	f.Add(appendHeader(nil, cmdSYN, 1, 0))
	f.Add(append(appendHeader(nil, cmdDATA, 3, 5), "hello"...))
	f.Add(appendWindow(appendHeader(nil, cmdFIN, 3, 0), 3, 1<<20))
	f.Add([]byte{cmdRST, 0, 0, 0, 0, 0, 0, 2, 0xff})
	f.Add([]byte{7, 0, 0xff, 0xff, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := &frameReader{r: iotest.HalfReader(bytes.NewReader(in)), buf: make([]byte, 32)}
		pos := 0
		for {
			hb, err := fr.next(hdrLen)
			if err != nil {
				return
			}
			h, err := parseHeader(hb)
			if err != nil {
				return
			}
			if h.length > maxPayload || h.id == 0 {
				t.Fatalf("accepted out-of-range header %+v", h)
			}
			if (h.cmd == cmdFIN || h.cmd == cmdRST) && h.length != 0 || h.cmd == cmdWINDOW && h.length != 4 {
				t.Fatalf("accepted %s with length %d", cmdName(h.cmd), h.length)
			}
			if re := appendHeader(nil, h.cmd, h.id, h.length); !bytes.Equal(re, in[pos:pos+hdrLen]) {
				t.Fatalf("re-encoded %x, read %x", re, in[pos:pos+hdrLen])
			}
			pos += hdrLen
			var payload []byte
			if h.cmd == cmdWINDOW { // the receive loop takes it whole
				b, err := fr.next(4)
				if err != nil {
					return
				}
				payload = append(payload, b...)
			}
			for n := h.length - len(payload); n > 0; {
				b, err := fr.piece(n)
				if err != nil {
					return
				}
				if len(b) == 0 || len(b) > n {
					t.Fatalf("piece of %d bytes with %d left", len(b), n)
				}
				payload = append(payload, b...)
				n -= len(b)
			}
			if !bytes.Equal(payload, in[pos:pos+h.length]) {
				t.Fatalf("payload %x, want %x", payload, in[pos:pos+h.length])
			}
			pos += h.length
		}
	})
}
