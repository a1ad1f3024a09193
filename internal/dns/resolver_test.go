package dns

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

func ips(recs []Record) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.IP.String())
	}
	slices.Sort(out)
	return out
}

func TestLookupAddrsAgainstDnsmasq(t *testing.T) {
	d := startDnsmasq(t)
	tests := []struct {
		name    string
		host    string
		want    []string
		wantErr error
	}{
		{"both families", "a.test", []string{"192.0.2.10", "2001:db8::10"}, nil},
		{"trailing dot and case", "A.Test.", []string{"192.0.2.10", "2001:db8::10"}, nil},
		{"cname chain", "c1.test", []string{"192.0.2.10", "2001:db8::10"}, nil},
		{"ipv4 only", "v4only.test", []string{"192.0.2.11"}, nil},
		{"ipv6 only", "v6only.test", []string{"2001:db8::20"}, nil},
		{"nxdomain", "nx.test", nil, ErrNotFound},
		{"ipv4 literal", "203.0.113.9", []string{"203.0.113.9"}, nil},
		{"ipv6 literal", "[2001:db8::99]", []string{"2001:db8::99"}, nil},
	}
	for _, up := range []string{d.V4, d.V6} {
		r := newTestResolver(t, Options{Upstreams: []string{up}})
		for _, tt := range tests {
			t.Run(up+"/"+tt.name, func(t *testing.T) {
				got, err := r.LookupAddrs(ctxT(t), tt.host)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("LookupAddrs(%q) error = %v, want %v", tt.host, err, tt.wantErr)
				}
				if !slices.Equal(ips(got), tt.want) {
					t.Fatalf("LookupAddrs(%q) = %v, want %v", tt.host, ips(got), tt.want)
				}
			})
		}
	}
}

func TestLookupErrorNamesHostAndUpstream(t *testing.T) {
	d := startDnsmasq(t)
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}})
	_, err := r.LookupAddrs(ctxT(t), "nx.test")
	if err == nil || !strings.Contains(err.Error(), "nx.test") || !strings.Contains(err.Error(), d.V4) ||
		!strings.Contains(err.Error(), "NXDOMAIN") {
		t.Fatalf("error %q should name the host, the upstream and NXDOMAIN", err)
	}
}

func TestTruncatedAnswerFallsBackToTCP(t *testing.T) {
	d := startDnsmasq(t)
	// Over UDP with a 1232-byte buffer dnsmasq can fit about 75 records and sets TC.
	m := new(mdns.Msg)
	m.SetQuestion("big.test.", mdns.TypeA)
	m.SetEdns0(udpSize, false)
	resp, _, err := (&mdns.Client{Net: "udp", UDPSize: udpSize}).Exchange(m, d.V4)
	if err != nil || !resp.Truncated {
		t.Fatalf("fixture: want a truncated UDP answer for big.test, got err=%v tc=%v", err, resp != nil && resp.Truncated)
	}
	r := newTestResolver(t, Options{Upstreams: []string{d.V6}})
	got, err := r.Lookup(ctxT(t), "big.test", mdns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != bigCount {
		t.Fatalf("got %d records, want all %d (TCP fallback)", len(got), bigCount)
	}
}

func TestLookupSingleType(t *testing.T) {
	d := startDnsmasq(t)
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}})
	got, err := r.Lookup(ctxT(t), "v6only.test", mdns.TypeA)
	if err != nil || len(got) != 0 {
		t.Fatalf("A of an AAAA-only name = %v, %v; want no records and no error", got, err)
	}
	got, err = r.Lookup(ctxT(t), "v6only.test", mdns.TypeAAAA)
	if err != nil || !slices.Equal(ips(got), []string{"2001:db8::20"}) {
		t.Fatalf("AAAA = %v, %v", got, err)
	}
	if _, err := r.Lookup(ctxT(t), "a.test", mdns.TypeMX); err == nil {
		t.Fatal("MX lookup should be refused")
	}
}

func TestFilterBogus(t *testing.T) {
	tests := []struct {
		ip     string
		reason string // "" = kept
	}{
		{"192.0.2.10", ""},
		{"2001:db8::10", ""},
		{"8.8.8.8", ""},
		{"0.0.0.0", "unspecified"},
		{"127.0.0.1", "loopback"},
		{"198.18.0.5", "198.18.0.0/15"},
		{"198.19.255.255", "198.18.0.0/15"},
		{"198.20.0.1", ""},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:1.2.3.4", "IPv4-mapped"},
		{"fe80::1", "link-local"},
		{"224.0.0.1", "multicast"},
	}
	var in []Record
	for _, tt := range tests {
		in = append(in, Record{IP: netip.MustParseAddr(tt.ip), TTL: 60})
	}
	kept, rejected := FilterBogus(in)
	reasons := map[string]string{}
	for _, r := range rejected {
		reasons[r.IP.String()] = r.Reason
	}
	for _, r := range kept {
		reasons[r.IP.String()] = ""
	}
	for _, tt := range tests {
		got, ok := reasons[netip.MustParseAddr(tt.ip).String()]
		if !ok || (tt.reason == "") != (got == "") || !strings.Contains(got, tt.reason) {
			t.Errorf("%s: reason %q, want %q", tt.ip, got, tt.reason)
		}
	}
	if len(kept)+len(rejected) != len(in) {
		t.Fatalf("lost records: %d kept + %d rejected != %d", len(kept), len(rejected), len(in))
	}
}

func TestParseUpstream(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "192.0.2.1", want: "192.0.2.1:53"},
		{in: "192.0.2.1:5353", want: "192.0.2.1:5353"},
		{in: "2001:db8::1", want: "[2001:db8::1]:53"},
		{in: "[2001:db8::1]:5353", want: "[2001:db8::1]:5353"},
		{in: "udp://192.0.2.1", want: "192.0.2.1:53"},
		{in: "tls://dns.example", want: "tls://dns.example"},
		{in: "https://dns.example/dns-query", want: "https://dns.example/dns-query"},
		{in: "dns.example", bad: true},
		{in: "192.0.2.1:99999", bad: true},
		{in: "tls://", bad: true},
		{in: "https:///x", bad: true},
	}
	for _, tt := range tests {
		u, err := parseUpstream(tt.in, &Options{})
		if tt.bad {
			if err == nil {
				t.Errorf("parseUpstream(%q) = %v, want an error", tt.in, u)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("parseUpstream(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}
