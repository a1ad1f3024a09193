package policy

import (
	"net/netip"
	"testing"
)

// embeddings returns every IPv6 form that carries v4, filling the bits the
// forms leave free from noise.
func embeddings(v4 netip.Addr, noise [8]byte) map[string]netip.Addr {
	b := v4.As4()
	out := map[string]netip.Addr{"mapped": netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})}
	out["compatible"] = netip.AddrFrom16([16]byte{12: b[0], 13: b[1], 14: b[2], 15: b[3]})
	out["translated"] = netip.AddrFrom16([16]byte{8: 0xff, 9: 0xff, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})
	out["nat64"] = netip.AddrFrom16([16]byte{0: 0x00, 1: 0x64, 2: 0xff, 3: 0x9b, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})
	var sixToFour [16]byte
	copy(sixToFour[:], []byte{0x20, 0x02, b[0], b[1], b[2], b[3]})
	copy(sixToFour[6:], noise[:])
	out["6to4"] = netip.AddrFrom16(sixToFour)
	var client, server [16]byte
	copy(client[:], []byte{0x20, 0x01, 0, 0, noise[0], noise[1], noise[2], noise[3]})
	copy(client[8:], []byte{noise[4], noise[5], noise[6], noise[7], ^b[0], ^b[1], ^b[2], ^b[3]})
	out["teredo-client"] = netip.AddrFrom16(client)
	copy(server[:], []byte{0x20, 0x01, 0, 0, b[0], b[1], b[2], b[3]})
	copy(server[8:], noise[:])
	out["teredo-server"] = netip.AddrFrom16(server)
	return out
}

func FuzzClassify(f *testing.F) {
	for _, row := range Forms {
		f.Add(netip.MustParseAddr(row.Addr).AsSlice(), []byte("01234567"))
	}
	f.Add([]byte{169, 254, 169, 254}, []byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{8, 8, 8, 8}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, raw, noiseBytes []byte) {
		a, ok := netip.AddrFromSlice(raw)
		denied, why := Classify(a) // must not panic on anything, even invalid
		if denied && why == "" {
			t.Fatalf("Classify(%v) denied with no reason", a)
		}
		if !ok {
			return
		}
		if err := New(nil, nil, 8443).Check(netip.AddrPortFrom(a, 8443), "udp"); (err != nil) != denied &&
			a.Unmap() != loopback4 && a != netip.IPv6Loopback() {
			t.Fatalf("Check and Classify disagree on %v: %v vs %v", a, err, denied)
		}
		if !a.Is4() {
			return
		}
		var noise [8]byte
		copy(noise[:], noiseBytes)
		mapped := netip.AddrFrom16(a.As16())
		if d, _ := Classify(mapped); d != denied {
			t.Fatalf("%v denied=%v but its mapped form %v denied=%v", a, denied, mapped, d)
		}
		if !denied {
			return
		}
		for form, e := range embeddings(a, noise) {
			if d, why := Classify(e); !d {
				t.Fatalf("%v is denied but its %s form %v is allowed (%q)", a, form, e, why)
			}
		}
	})
}
