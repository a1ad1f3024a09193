package socks5

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
)

var v6doc = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}

func TestParseUDPHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		addr    string
		payload string
		err     error
	}{
		{"ipv4", []byte{0, 0, 0, 1, 10, 0, 0, 1, 0, 53, 'h', 'i'}, "10.0.0.1:53", "hi", nil},
		{"ipv6", append(append([]byte{0, 0, 0, 4}, v6doc...), 1, 0, 'x'), "[2001:db8::1]:256", "x", nil},
		{"domain", []byte{0, 0, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 0, 53}, "a.test:53", "", nil},
		{"fragment", []byte{0, 0, 1, 1, 10, 0, 0, 1, 0, 53}, "", "", ErrFragment},
		{"short", []byte{0, 0, 0}, "", "", ErrShort},
		{"short ipv4", []byte{0, 0, 0, 1, 10, 0, 0, 1, 0}, "", "", ErrShort},
		{"short domain", []byte{0, 0, 0, 3, 9, 'a', 0, 53}, "", "", ErrShort},
		{"atyp", []byte{0, 0, 0, 2, 10, 0, 0, 1, 0, 53}, "", "", ErrAddrType},
		{"bad name", []byte{0, 0, 0, 3, 3, 'a', '/', 'b', 0, 53}, "", "", ErrBadAddress},
		{"empty name", []byte{0, 0, 0, 3, 0, 0, 53}, "", "", ErrBadAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, payload, err := ParseUDPHeader(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if addr != tc.addr || string(payload) != tc.payload {
				t.Errorf("got %q %q, want %q %q", addr, payload, tc.addr, tc.payload)
			}
		})
	}
}

func TestAppendUDPHeader(t *testing.T) {
	tests := []struct {
		addr string
		want []byte
		bad  bool
	}{
		{"10.0.0.1:53", []byte{0, 0, 0, 1, 10, 0, 0, 1, 0, 53}, false},
		{"[::ffff:10.0.0.1]:53", []byte{0, 0, 0, 1, 10, 0, 0, 1, 0, 53}, false},
		{"[2001:db8::1]:256", append(append([]byte{0, 0, 0, 4}, v6doc...), 1, 0), false},
		{"a.test:65535", []byte{0, 0, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 255, 255}, false},
		{"a.test:65536", nil, true},
		{"a.test", nil, true},
		{"a b:1", nil, true},
		{string(bytes.Repeat([]byte("a"), 256)) + ":1", nil, true},
	}
	for _, tc := range tests {
		got, err := AppendUDPHeader(nil, tc.addr)
		if (err != nil) != tc.bad || !bytes.Equal(got, tc.want) && !tc.bad {
			t.Errorf("AppendUDPHeader(%q) = %x, %v; want %x (error: %v)", tc.addr, got, err, tc.want, tc.bad)
		}
	}
}

func TestReadRequest(t *testing.T) {
	tests := []struct {
		in   []byte
		cmd  byte
		addr string
		err  error
	}{
		{[]byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, CmdUDPAssociate, "0.0.0.0:0", nil},
		{append(append([]byte{5, 1, 0, 4}, v6doc...), 0, 80), CmdConnect, "[2001:db8::1]:80", nil},
		{[]byte{5, 1, 0, 3, 2, 'A', 'b', 0, 80}, CmdConnect, "Ab:80", nil},
		{[]byte{6, 1, 0, 1, 0, 0, 0, 0, 0, 0}, 0, "", ErrVersion},
		{[]byte{5, 1, 0, 9}, CmdConnect, "", ErrAddrType},
		{[]byte{5, 1, 0, 3, 1, 0xff, 0, 80}, CmdConnect, "", ErrBadAddress},
	}
	for _, tc := range tests {
		cmd, addr, err := ReadRequest(bytes.NewReader(tc.in))
		if cmd != tc.cmd || addr != tc.addr || !errors.Is(err, tc.err) {
			t.Errorf("ReadRequest(%x) = %d %q %v, want %d %q %v", tc.in, cmd, addr, err, tc.cmd, tc.addr, tc.err)
		}
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, tc := range connectTargets {
		f.Add(tc.req)
	}
	f.Add([]byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{5, 1, 0, 3, 0, 0, 80})
	f.Add([]byte{5, 1, 0, 7})
	f.Add([]byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4, 0, 80})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, addr, err := ReadRequest(bytes.NewReader(b))
		if err != nil {
			return
		}
		roundTrip(t, addr)
	})
}

func FuzzParseUDPHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 10, 0, 0, 1, 0, 53, 'h', 'i'})
	f.Add(append(append([]byte{0, 0, 0, 4}, v6doc...), 1, 0))
	f.Add([]byte{0, 0, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 0, 53})
	f.Add([]byte{0, 0, 1, 1, 10, 0, 0, 1, 0, 53})
	f.Fuzz(func(t *testing.T, b []byte) {
		addr, payload, err := ParseUDPHeader(b)
		if err != nil {
			return
		}
		hdr, err := AppendUDPHeader(nil, addr)
		if err != nil {
			t.Fatalf("parsed %q but cannot encode it: %v", addr, err)
		}
		addr2, payload2, err := ParseUDPHeader(append(hdr, payload...))
		if err != nil || !sameAddr(addr2, addr) || !bytes.Equal(payload, payload2) {
			t.Fatalf("round trip %q -> %q, %v", addr, addr2, err)
		}
	})
}

// FuzzHandshake feeds a greeting followed by an RFC 1929 request.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{5, 2, 0, 2, 1, 5, 'a', 'l', 'i', 'c', 'e', 1, 'p'})
	f.Add([]byte{5, 0})
	f.Add([]byte{5, 1, 2, 1, 0, 0})
	f.Add([]byte{4, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		methods, err := ReadGreeting(r)
		if err != nil {
			return
		}
		if len(methods) != int(b[1]) {
			t.Fatalf("got %d methods, greeting says %d", len(methods), b[1])
		}
		user, pass, err := ReadUserPass(r)
		if err == nil && len(user)+len(pass)+3 > len(b)-2-len(methods) {
			t.Fatalf("user %q pass %q longer than the input", user, pass)
		}
	})
}

// roundTrip checks that a parsed address re-encodes to itself.
func roundTrip(t *testing.T, addr string) {
	t.Helper()
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("parsed address %q is not host:port: %v", addr, err)
	}
	b, err := appendAddr(nil, addr)
	if err != nil {
		t.Fatalf("parsed %q but cannot encode it: %v", addr, err)
	}
	got, n, err := parseAddr(b)
	if err != nil || !sameAddr(got, addr) || n != len(b) {
		t.Fatalf("round trip %q -> %q (%d of %d bytes), %v", addr, got, n, len(b), err)
	}
}

// sameAddr compares addresses, an IPv4-mapped IPv6 address equal to its IPv4
// form (the encoder writes mapped addresses as IPv4).
func sameAddr(a, b string) bool {
	if a == b {
		return true
	}
	pa, errA := netip.ParseAddrPort(a)
	pb, errB := netip.ParseAddrPort(b)
	return errA == nil && errB == nil && pa.Addr().Unmap() == pb.Addr().Unmap() && pa.Port() == pb.Port()
}
