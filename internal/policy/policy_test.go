package policy

import (
	"errors"
	"net/netip"
	"testing"
)

func TestForms(t *testing.T) {
	if len(Forms) < 60 {
		t.Fatalf("Forms has %d rows, want at least 60", len(Forms))
	}
	var v4, v6 int
	open := New(nil, nil, 0)
	for _, f := range Forms {
		a, err := netip.ParseAddr(f.Addr)
		if err != nil {
			t.Fatalf("%s: bad test address %q: %v", f.Form, f.Addr, err)
		}
		if a.Unmap().Is4() {
			v4++
		} else {
			v6++
		}
		denied, why := Classify(a)
		if denied != f.Denied || why != f.Reason {
			t.Errorf("%s: Classify(%s) = %v, %q; want %v, %q", f.Form, f.Addr, denied, why, f.Denied, f.Reason)
		}
		dst := netip.AddrPortFrom(a, 443)
		err = open.Check(dst, "tcp")
		if !f.Denied {
			if err != nil {
				t.Errorf("%s: Check(%s) = %v, want allowed", f.Form, dst, err)
			}
			continue
		}
		want := "destination " + dst.String() + " denied: " + f.Reason
		if !errors.Is(err, ErrDenied) || err.Error() != want {
			t.Errorf("%s: Check(%s) = %v, want %q wrapping ErrDenied", f.Form, dst, err, want)
		}
	}
	if v4 < 20 || v6 < 20 {
		t.Errorf("Forms covers %d IPv4 and %d IPv6 rows, want both families well covered", v4, v6)
	}
}

func TestDeniedErrorText(t *testing.T) {
	err := New(nil, nil, 8443).Check(netip.MustParseAddrPort("10.0.0.5:22"), "tcp")
	const want = "destination 10.0.0.5:22 denied: private range 10.0.0.0/8"
	if err == nil || err.Error() != want {
		t.Fatalf("Check = %v, want %q", err, want)
	}
	var de *DeniedError
	if !errors.As(err, &de) || de.Reason != "private range 10.0.0.0/8" || de.Addr.Port() != 22 {
		t.Fatalf("Check error %#v does not carry address and reason", err)
	}
}

func TestCheck(t *testing.T) {
	allow := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/28"),        // a test bed's documentation addresses
		netip.MustParsePrefix("2001:db8:1::/48"),     // and their IPv6 twins
		netip.MustParsePrefix("::ffff:10.9.0.0/112"), // mapped entry: allows 10.9/16 too
		netip.MustParsePrefix("fe80::/10"),           // never matches a zoned address
	}
	hostPorts := []netip.AddrPort{
		netip.MustParseAddrPort("10.1.2.3:5432"),
		netip.MustParseAddrPort("[::1]:9000"),
	}
	p := New(allow, hostPorts, 8443)
	tests := []struct {
		dst     string
		network string
		allowed bool
	}{
		{"8.8.8.8:53", "udp", true},
		{"[2606:4700::1111]:443", "tcp", true},
		// WireGuard target: UDP only, both loopbacks, only its port.
		{"127.0.0.1:8443", "udp", true},
		{"[::1]:8443", "udp", true},
		{"[::ffff:127.0.0.1]:8443", "udp", true},
		{"127.0.0.1:8443", "udp4", true},
		{"127.0.0.1:8443", "tcp", false},
		{"[::1]:8443", "tcp", false},
		{"127.0.0.1:8444", "udp", false},
		{"127.0.0.2:8443", "udp", false},
		{"[fe80::1%lo]:8443", "udp", false},
		// ALLOW_DESTINATIONS prefixes, as given and unmapped.
		{"192.0.2.10:80", "tcp", true},
		{"[::ffff:192.0.2.10]:80", "tcp", true},
		{"192.0.2.16:80", "tcp", false},
		{"[2001:db8:1::5]:443", "tcp", true},
		{"[2001:db8:2::5]:443", "tcp", false},
		{"10.9.1.1:80", "tcp", true},
		{"[::ffff:10.9.1.1]:80", "udp", true},
		{"10.8.1.1:80", "tcp", false},
		{"[fe80::1%eth0]:80", "tcp", false},
		{"[fe80::1]:80", "tcp", true},
		// Exact host:port entries, either network, no other port.
		{"10.1.2.3:5432", "tcp", true},
		{"10.1.2.3:5432", "udp", true},
		{"[::ffff:10.1.2.3]:5432", "tcp", true},
		{"10.1.2.3:5433", "tcp", false},
		{"[::1]:9000", "tcp", true},
		{"127.0.0.1:9000", "tcp", false},
		// Allowances do not leak into embedded forms of other ranges.
		{"[64:ff9b::a00:5]:80", "tcp", false},
		{"[2002:c000:20a::1]:80", "tcp", false}, // 6to4 of 192.0.2.10
	}
	for _, tt := range tests {
		dst := netip.MustParseAddrPort(tt.dst)
		err := p.Check(dst, tt.network)
		if (err == nil) != tt.allowed {
			t.Errorf("Check(%s, %s) = %v, want allowed=%v", tt.dst, tt.network, err, tt.allowed)
		}
		if err != nil && !errors.Is(err, ErrDenied) {
			t.Errorf("Check(%s, %s) = %v, does not wrap ErrDenied", tt.dst, tt.network, err)
		}
	}
}

func TestCheckEdgeCases(t *testing.T) {
	var nilPolicy *Policy
	if err := nilPolicy.Check(netip.MustParseAddrPort("1.1.1.1:443"), "tcp"); err != nil {
		t.Errorf("nil policy denied a public address: %v", err)
	}
	if err := nilPolicy.Check(netip.MustParseAddrPort("127.0.0.1:8443"), "udp"); err == nil {
		t.Error("nil policy allowed loopback")
	}
	if err := New(nil, nil, 0).Check(netip.MustParseAddrPort("127.0.0.1:0"), "udp"); err == nil {
		t.Error("wgPort 0 allowed 127.0.0.1:0")
	}
	err := New(nil, nil, 0).Check(netip.AddrPort{}, "tcp")
	if !errors.Is(err, ErrDenied) {
		t.Errorf("zero AddrPort: %v, want denied", err)
	}
	// Invalid prefixes and host:ports in the config are ignored, not fatal.
	p := New([]netip.Prefix{{}}, []netip.AddrPort{{}}, 0)
	if err := p.Check(netip.MustParseAddrPort("10.0.0.1:1"), "tcp"); err == nil {
		t.Error("zero allow entries allowed 10.0.0.1")
	}
}

func TestCheckAllowedDoesNotAllocate(t *testing.T) {
	p := New([]netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}, nil, 8443)
	for _, s := range []string{"8.8.8.8:53", "[2606:4700::1111]:443", "[2002:808:808::1]:53",
		"[2001:0:4136:e378:8000:63bf:f7f7:f7f7]:53", "127.0.0.1:8443", "10.9.0.1:53"} {
		dst := netip.MustParseAddrPort(s)
		allocs := testing.AllocsPerRun(100, func() {
			if p.Check(dst, "udp") != nil {
				t.Fatalf("%s denied", s)
			}
		})
		if allocs != 0 {
			t.Errorf("Check(%s) allocates %v times per call, want 0", s, allocs)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	p := New([]netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, nil, 8443)
	for _, s := range []string{"8.8.8.8:53", "[2606:4700::1111]:443", "10.0.0.5:22"} {
		dst := netip.MustParseAddrPort(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Check(dst, "udp")
			}
		})
	}
}
