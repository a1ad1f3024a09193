package netx

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"
	"testing/synctest"
)

func TestSortAddrs(t *testing.T) {
	mapped := netip.MustParseAddrPort("[::ffff:192.0.2.9]:443")
	tests := []struct {
		in      []netip.AddrPort
		v6First bool
		want    []netip.AddrPort
	}{
		{[]netip.AddrPort{v4a, v4b, v6a, v6b}, true, []netip.AddrPort{v6a, v4a, v6b, v4b}},
		{[]netip.AddrPort{v4a, v4b, v6a, v6b}, false, []netip.AddrPort{v4a, v6a, v4b, v6b}},
		{[]netip.AddrPort{v6a, v6b, v4a}, false, []netip.AddrPort{v4a, v6a, v6b}},
		{[]netip.AddrPort{v6b, v6a}, false, []netip.AddrPort{v6b, v6a}},
		{[]netip.AddrPort{mapped, v6a}, true, []netip.AddrPort{v6a, mapped}},
		{nil, true, []netip.AddrPort{}},
	}
	for _, tt := range tests {
		if got := SortAddrs(tt.in, tt.v6First); !slices.Equal(got, tt.want) {
			t.Errorf("SortAddrs(%v, %v) = %v, want %v", tt.in, tt.v6First, got, tt.want)
		}
	}
}

// FuzzSortAddrs checks SortAddrs' invariants on arbitrary lists: a
// permutation, each family's order kept, families alternating from the
// first one while both last.
func FuzzSortAddrs(f *testing.F) {
	f.Add([]byte{4, 6, 6, 4, 6}, true)
	f.Add([]byte{6, 6, 6}, false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, fams []byte, v6First bool) {
		var in []netip.AddrPort
		for i, b := range fams {
			var a netip.Addr
			if b%2 == 0 {
				a = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			} else {
				var b16 [16]byte
				binary.BigEndian.PutUint16(b16[:], 0x2001)
				b16[15] = byte(i)
				a = netip.AddrFrom16(b16)
			}
			in = append(in, netip.AddrPortFrom(a, uint16(i)))
		}
		out := SortAddrs(in, v6First)
		byFam := func(l []netip.AddrPort, v6 bool) []netip.AddrPort {
			return slices.DeleteFunc(slices.Clone(l), func(a netip.AddrPort) bool { return isV6(a.Addr()) != v6 })
		}
		first, second := byFam(in, v6First), byFam(in, !v6First)
		if len(out) != len(in) || !slices.Equal(byFam(out, v6First), first) || !slices.Equal(byFam(out, !v6First), second) {
			t.Fatalf("SortAddrs(%v, %v) = %v: not an order-keeping permutation", in, v6First, out)
		}
		for i := range 2 * min(len(first), len(second)) {
			if isV6(out[i].Addr()) != (v6First == (i%2 == 0)) {
				t.Fatalf("SortAddrs(%v, %v) = %v: position %d breaks the alternation", in, v6First, out, i)
			}
		}
	})
}

func TestFailureRanking(t *testing.T) {
	errTimeout := &timeoutErr{}
	tests := []struct {
		name   string
		errs   []error // in start order
		wantAt int
	}{
		{"refused beats timeout", []error{errTimeout, errRefused}, 1},
		{"timeout beats host unreachable", []error{errHostUnreach, errTimeout}, 1},
		{"host unreachable beats net unreachable", []error{errNetUnreach, errHostUnreach}, 1},
		{"net unreachable beats no family", []error{errNoFamily, errNetUnreach}, 1},
		{"application error beats refused", []error{errRefused, errors.New("tls: bad certificate")}, 1},
		{"ties: first started", []error{errRefused, errRefused}, 0},
	}
	for _, tt := range tests {
		var fs []attemptFailure
		for i, e := range tt.errs {
			fs = append(fs, attemptFailure{addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 1), seq: i, err: e})
		}
		slices.Reverse(fs) // failure order must not matter
		best, _ := bestFailure(fs)
		if best.seq != tt.wantAt {
			t.Errorf("%s: picked #%d (%v), want #%d", tt.name, best.seq, best.err, tt.wantAt)
		}
	}
}

var errNoFamily = &os.SyscallError{Syscall: "connect", Err: syscall.EADDRNOTAVAIL}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// An AttemptFunc that returns neither a connection nor an error is a bug in
// it; the race must not hand a nil conn to its caller.
func TestAttemptReturningNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &HappyEyeballs{Attempt: func(ctx context.Context, a netip.AddrPort) (net.Conn, error) { return nil, nil }}
		c, _, err := h.DialAddrs(t.Context(), []netip.AddrPort{v4a})
		if c != nil || err == nil || err.Error() != "dial tcp 192.0.2.1:443: attempt returned no connection" {
			t.Errorf("DialAddrs = %v, %v; want an error naming the address", c, err)
		}
	})
}
