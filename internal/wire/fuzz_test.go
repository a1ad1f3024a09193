package wire

import (
	"bytes"
	"reflect"
	"testing"
)

func FuzzReadOpen(f *testing.F) {
	for _, o := range []Open{{Kind: KindTCP, Addr: Addr{Name: "example.com", Port: 443}}, {Kind: KindResolve}} {
		b, _ := AppendOpen(nil, o)
		f.Add(b)
	}
	f.Add([]byte{1, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80})
	f.Add([]byte{1, 2, 3, 3, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ReadOpen(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a prefix of the input.
		enc, err := AppendOpen(nil, o)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", o, err)
		}
		again, err := ReadOpen(bytes.NewReader(enc))
		if err != nil || !reflect.DeepEqual(again, o) {
			t.Fatalf("re-decode %+v: %+v %v", o, again, err)
		}
	})
}

func FuzzReadReply(f *testing.F) {
	b, _ := AppendReply(nil, Reply{Code: 5, Msg: "refused"})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadReply(bytes.NewReader(b))
		if err == nil && len(r.Msg) > MaxMsg {
			t.Fatalf("message of %d bytes", len(r.Msg))
		}
	})
}

func FuzzReadDatagram(f *testing.F) {
	b, _ := AppendDatagram(nil, Addr{Name: "a.test", Port: 53}, []byte("hello"))
	f.Add(b)
	f.Add([]byte{1, 127, 0, 0, 1, 0, 53, 0xff, 0xff})
	buf := make([]byte, MaxDatagram)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, p, err := ReadDatagram(bytes.NewReader(b), buf)
		if err == nil && (len(p) > MaxDatagram || (a.IsZero() && a.Port != 0)) {
			t.Fatalf("bad datagram %+v len %d", a, len(p))
		}
	})
}

func FuzzResolve(f *testing.F) {
	b, _ := AppendResolveRequest(nil, []string{"a.test"})
	f.Add(b, 1)
	a, _ := AppendResolveAnswer(nil, []NameAnswer{{Records: []Record{{TTL: 5}}}})
	f.Add(a, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		names, err := ReadResolveRequest(bytes.NewReader(b))
		if err == nil && (len(names) == 0 || len(names) > MaxNames) {
			t.Fatalf("%d names", len(names))
		}
		ans, err := ReadResolveAnswer(bytes.NewReader(b), n)
		if err == nil && len(ans) != n {
			t.Fatalf("%d answers for %d", len(ans), n)
		}
	})
}
