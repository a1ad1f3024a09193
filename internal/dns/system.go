package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"

	mdns "github.com/miekg/dns"
)

// resolvConf is where the system's resolvers are listed (not on Windows).
var resolvConf = "/etc/resolv.conf"

// systemTTL is the TTL given to answers of the Go resolver, which hides TTLs.
const systemTTL = 60

// systemUpstreams lists the resolvers of resolv.conf, or falls back to the
// Go resolver (Windows, or no usable resolv.conf).
func systemUpstreams(o *Options) []upstream {
	if runtime.GOOS != "windows" {
		if cc, err := mdns.ClientConfigFromFile(resolvConf); err == nil && len(cc.Servers) > 0 {
			var ups []upstream
			for _, s := range cc.Servers {
				if u, err := parseUpstream(net.JoinHostPort(s, cc.Port), o); err == nil {
					ups = append(ups, u)
				}
			}
			if len(ups) > 0 {
				return ups
			}
		}
	}
	return []upstream{goUpstream{r: net.DefaultResolver}}
}

// goUpstream answers A and AAAA queries with the Go resolver and dresses the
// result as a DNS message, so the rest of the package sees one shape.
type goUpstream struct{ r *net.Resolver }

func (goUpstream) String() string { return "system" }

func (g goUpstream) exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error) {
	q := m.Question[0]
	network := "ip4"
	if q.Qtype == mdns.TypeAAAA {
		network = "ip6"
	}
	resp := new(mdns.Msg)
	resp.SetReply(m)
	ips, err := g.r.LookupNetIP(ctx, network, q.Name)
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return resp, nil // Go does not tell NXDOMAIN from NODATA: report NODATA
	case errors.As(err, &de) && de.IsTimeout:
		return nil, ErrTimeout
	case err != nil:
		resp.Rcode = mdns.RcodeServerFailure
		return resp, nil
	}
	for _, ip := range ips {
		resp.Answer = append(resp.Answer, addrRR(q.Name, ip, q.Qtype))
	}
	return resp, nil
}

func addrRR(name string, ip netip.Addr, qtype uint16) mdns.RR {
	hdr := mdns.RR_Header{Name: name, Rrtype: qtype, Class: mdns.ClassINET, Ttl: systemTTL}
	if qtype == mdns.TypeA {
		return &mdns.A{Hdr: hdr, A: ip.Unmap().AsSlice()}
	}
	return &mdns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}
}
