package wire

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"testing"

	"github.com/autovpn/autovpn/internal/netx"
)

func TestOpenRoundTrip(t *testing.T) {
	cases := []Open{
		{Kind: KindTCP, Policy: netx.PreferIPv4, Addr: Addr{IP: netip.MustParseAddr("192.0.2.1"), Port: 443}},
		{Kind: KindTCP, Policy: netx.PreferIPv6, Addr: Addr{IP: netip.MustParseAddr("2001:db8::1"), Port: 80}},
		{Kind: KindTCP, Policy: netx.IPv4Only, Addr: Addr{Name: "example.com", Port: 8443}},
		{Kind: KindUDP, Policy: netx.IPv6Only, Addr: Addr{IP: netip.MustParseAddr("127.0.0.1"), Port: 8443}},
		{Kind: KindUDP},
		{Kind: KindResolve},
	}
	for _, o := range cases {
		b, err := AppendOpen(nil, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadOpen(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("round trip: got %+v, want %+v", got, o)
		}
	}
}

func TestMappedIPv4EncodesAsIPv4(t *testing.T) {
	b, _ := AppendAddr(nil, Addr{IP: netip.MustParseAddr("::ffff:192.0.2.1"), Port: 1})
	a, err := ReadAddr(bytes.NewReader(b))
	if err != nil || a.IP != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("got %v, %v", a, err)
	}
}

func TestReplyRoundTripAndErr(t *testing.T) {
	r := Reply{Code: netx.Refused, Addr: Addr{IP: netip.MustParseAddr("2001:db8::2"), Port: 22}, Msg: "connect: connection refused"}
	b, err := AppendReply(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadReply(bytes.NewReader(b))
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if netx.CodeOf(got.Err("x:1")) != netx.Refused {
		t.Fatal("Err lost the code")
	}
	if (Reply{Code: netx.OK}).Err("x:1") != nil {
		t.Fatal("OK reply must give nil error")
	}
}

func TestParseAddr(t *testing.T) {
	cases := map[string]Addr{
		"1.2.3.4:80":      {IP: netip.MustParseAddr("1.2.3.4"), Port: 80},
		"[2001:db8::1]:5": {IP: netip.MustParseAddr("2001:db8::1"), Port: 5},
		"example.com:443": {Name: "example.com", Port: 443},
	}
	for in, want := range cases {
		got, err := ParseAddr(in)
		if err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"", "noport", "host:99999", ":80", "[fe80::1%eth0]:80"} {
		if _, err := ParseAddr(bad); !errors.Is(err, ErrAddress) {
			t.Errorf("ParseAddr(%q) err = %v, want ErrAddress", bad, err)
		}
	}
}

func TestTruncatedAndBadInput(t *testing.T) {
	full, _ := AppendOpen(nil, Open{Kind: KindTCP, Addr: Addr{Name: "example.com", Port: 443}})
	for i := 1; i < len(full); i++ {
		if _, err := ReadOpen(bytes.NewReader(full[:i])); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated at %d: err = %v, want ErrUnexpectedEOF", i, err)
		}
	}
	bad := map[string][]byte{
		"version": {9, 1, 0, 0},
		"kind":    {1, 9, 0, 0},
		"policy":  {1, 1, 9, 0},
		"atyp":    {1, 1, 0, 7},
		"namelen": {1, 1, 0, 3, 0},
	}
	for name, b := range bad {
		if _, err := ReadOpen(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted %v", name, b)
		}
	}
}

func TestDatagramRoundTrip(t *testing.T) {
	payload := bytes.Repeat([]byte{0xab}, 1400)
	var b []byte
	b, _ = AppendDatagram(b, Addr{Name: "a.test", Port: 53}, payload)
	b, _ = AppendDatagram(b, Addr{IP: netip.MustParseAddr("::1"), Port: 9}, []byte{1})
	r := bytes.NewReader(b)
	buf := make([]byte, MaxDatagram)
	a, p, err := ReadDatagram(r, buf)
	if err != nil || a.Name != "a.test" || !bytes.Equal(p, payload) {
		t.Fatalf("first: %v %v", a, err)
	}
	a, p, err = ReadDatagram(r, buf)
	if err != nil || a.IP != netip.MustParseAddr("::1") || !bytes.Equal(p, []byte{1}) {
		t.Fatalf("second: %v %v", a, err)
	}
	if _, _, err := ReadDatagram(r, buf); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestResolveRoundTrip(t *testing.T) {
	names := []string{"a.test", "b.test"}
	b, err := AppendResolveRequest(nil, names)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadResolveRequest(bytes.NewReader(b))
	if err != nil || !reflect.DeepEqual(got, names) {
		t.Fatalf("request: %v %v", got, err)
	}
	ans := []NameAnswer{
		{Code: netx.OK, Records: []Record{{IP: netip.MustParseAddr("192.0.2.10"), TTL: 60}, {IP: netip.MustParseAddr("2001:db8::10"), TTL: 30}}},
		{Code: netx.NotFound},
	}
	b, err = AppendResolveAnswer(nil, ans)
	if err != nil {
		t.Fatal(err)
	}
	gotA, err := ReadResolveAnswer(bytes.NewReader(b), 2)
	if err != nil || !reflect.DeepEqual(gotA, ans) {
		t.Fatalf("answer: %+v %v", gotA, err)
	}
	if _, err := AppendResolveRequest(nil, make([]string, MaxNames+1)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("too many names accepted: %v", err)
	}
}

// An answer over MaxRecords keeps both families: 70 A and 2 AAAA records
// (A listed first) must not lose the AAAA to the cut, and a name with many
// of each keeps half of each.
func TestResolveAnswerCapKeepsBothFamilies(t *testing.T) {
	recs := func(n4, n6 int) []Record {
		var rs []Record
		for i := range n4 {
			rs = append(rs, Record{IP: netip.AddrFrom4([4]byte{198, 51, byte(i / 256), byte(i)}), TTL: 60})
		}
		for i := range n6 {
			rs = append(rs, Record{IP: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i / 256), 15: byte(i)}), TTL: 60})
		}
		return rs
	}
	for _, tc := range []struct{ n4, n6, want4, want6 int }{
		{70, 2, 62, 2}, {2, 70, 2, 62}, {40, 40, 32, 32}, {64, 0, 64, 0}, {10, 10, 10, 10},
	} {
		b, err := AppendResolveAnswer(nil, []NameAnswer{{Code: netx.OK, Records: recs(tc.n4, tc.n6)}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadResolveAnswer(bytes.NewReader(b), 1)
		if err != nil {
			t.Fatal(err)
		}
		n4 := 0
		for _, r := range got[0].Records {
			if r.IP.Is4() {
				n4++
			}
		}
		if n6 := len(got[0].Records) - n4; n4 != tc.want4 || n6 != tc.want6 {
			t.Errorf("%d A + %d AAAA: sent %d A + %d AAAA, want %d + %d", tc.n4, tc.n6, n4, n6, tc.want4, tc.want6)
		}
	}
}
