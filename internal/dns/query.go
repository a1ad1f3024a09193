package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// maxCNAMEHops bounds how many times a CNAME target is asked for again.
const maxCNAMEHops = 8

// resolve asks the upstreams for key, caches the outcome and, when every
// upstream fails, serves the last good answer marked stale.
func (r *Resolver) resolve(ctx context.Context, key cacheKey) (any, error) {
	records, ttl, err := r.chase(ctx, key.name, key.qtype)
	now := r.now()
	switch {
	case err == nil:
		exp := now.Add(r.clamp(ttl))
		r.cache.put(cacheEntry{key: key, records: records, expires: exp})
		return withTTL(records, exp, now, false), nil
	case errors.Is(err, ErrNotFound):
		r.cache.put(cacheEntry{key: key, err: unwrapLookup(err), expires: now.Add(r.clamp(ttl))})
		return nil, err
	}
	if e, ok, _ := r.cache.get(key, now); ok && e.err == nil && r.opts.MaxStale > 0 &&
		now.Before(e.expires.Add(r.opts.MaxStale)) {
		r.log.Warn("dns: serving last good answer", "name", key.name,
			"type", mdns.TypeToString[key.qtype], "expired_ago", now.Sub(e.expires).Round(time.Second), "err", err)
		return withTTL(e.records, e.expires, now, true), nil
	}
	return nil, err
}

// unwrapLookup keeps the cause of an *Error, so a cached negative answer
// does not repeat the upstream that gave it.
func unwrapLookup(err error) error {
	var le *Error
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// clamp bounds a TTL to [MinTTL, MaxTTL].
func (r *Resolver) clamp(ttl time.Duration) time.Duration {
	return min(max(ttl, r.opts.MinTTL), r.opts.MaxTTL)
}

// chase queries name and follows CNAMEs whose targets the answer leaves
// unresolved. It returns the records and the smallest TTL along the chain;
// for a negative answer, the negative TTL and an error wrapping ErrNotFound.
func (r *Resolver) chase(ctx context.Context, name string, qtype uint16) ([]Record, time.Duration, error) {
	orig := strings.TrimSuffix(name, ".")
	minTTL := r.opts.MaxTTL
	for hop := 0; hop <= maxCNAMEHops; hop++ {
		resp, up, err := r.exchange(ctx, name, qtype)
		if err != nil {
			return nil, 0, &Error{Host: orig, Qtype: qtype, Upstream: up, Err: err}
		}
		if resp.Rcode == mdns.RcodeNameError {
			return nil, r.negativeTTL(resp), &Error{Host: orig, Qtype: qtype, Upstream: up, Err: rcodeError(resp.Rcode)}
		}
		records, target, ttl, loop := answers(resp, name, qtype)
		if loop {
			return nil, 0, &Error{Host: orig, Qtype: qtype, Upstream: up, Err: fmt.Errorf("%w (CNAME loop at %s)", ErrServFail, strings.TrimSuffix(target, "."))}
		}
		minTTL = min(minTTL, ttl)
		if len(records) > 0 {
			return records, minTTL, nil
		}
		if target == name { // no data of this type
			return nil, min(minTTL, r.negativeTTL(resp)), nil
		}
		name = target
	}
	return nil, 0, &Error{Host: orig, Qtype: qtype, Err: fmt.Errorf("%w (CNAME chain longer than %d)", ErrServFail, maxCNAMEHops)}
}

// answers walks the answer section from name along CNAMEs and collects the
// records of qtype owned by the end of the chain. loop reports a chain that
// comes back to a name it has passed (self.test CNAME self.test): a broken
// zone, not a name without records.
func answers(resp *mdns.Msg, name string, qtype uint16) (recs []Record, target string, ttl time.Duration, loop bool) {
	target = name
	ttl = time.Duration(1<<31) * time.Second
	seen := map[string]bool{strings.ToLower(name): true}
	for range maxCNAMEHops + 1 {
		moved := false
		for _, rr := range resp.Answer {
			if c, ok := rr.(*mdns.CNAME); ok && strings.EqualFold(c.Hdr.Name, target) {
				target = strings.ToLower(mdns.Fqdn(c.Target))
				ttl = min(ttl, time.Duration(c.Hdr.Ttl)*time.Second)
				moved = true
				break
			}
		}
		if !moved {
			break
		}
		if seen[target] {
			return nil, target, ttl, true
		}
		seen[target] = true
	}
	var out []Record
	for _, rr := range resp.Answer {
		if !strings.EqualFold(rr.Header().Name, target) || rr.Header().Rrtype != qtype {
			continue
		}
		var ip netip.Addr
		switch v := rr.(type) {
		case *mdns.A:
			ip, _ = netip.AddrFromSlice(v.A.To4())
		case *mdns.AAAA:
			ip, _ = netip.AddrFromSlice(v.AAAA.To16())
		}
		if ip.IsValid() {
			out = append(out, Record{IP: ip, TTL: rr.Header().Ttl})
			ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
		}
	}
	return out, target, ttl, false
}

// negativeTTL is min(SOA TTL, SOA minimum) from the authority section
// (RFC 2308), capped by NegativeTTL, which is also the default.
func (r *Resolver) negativeTTL(resp *mdns.Msg) time.Duration {
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			ttl := time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
			return min(ttl, r.opts.NegativeTTL)
		}
	}
	return r.opts.NegativeTTL
}

// exchange sends the query to the upstreams in order, Attempts rounds, and
// returns the first answer that is NOERROR or NXDOMAIN, with the name of
// the upstream that gave it (or the last one tried).
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) (*mdns.Msg, string, error) {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	m.SetEdns0(udpSize, false)
	var lastErr error
	var last string
	for attempt := 0; attempt < r.opts.Attempts; attempt++ {
		for _, u := range r.upstreams {
			if err := ctx.Err(); err != nil {
				return nil, last, err
			}
			last = u.String()
			resp, err := r.try(ctx, u, m)
			if err == nil {
				return resp, last, nil
			}
			lastErr = err
			r.log.Debug("dns: upstream failed", "upstream", last, "name", name,
				"type", mdns.TypeToString[qtype], "attempt", attempt+1, "err", err)
		}
	}
	if len(r.upstreams) > 1 {
		last = strings.Join(r.Upstreams(), ", ")
	}
	return nil, last, lastErr
}

// try sends m to one upstream with the per-attempt timeout and checks that
// the response answers the question.
func (r *Resolver) try(ctx context.Context, u upstream, m *mdns.Msg) (*mdns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	r.mu.Lock()
	r.queries++
	r.mu.Unlock()
	resp, err := u.exchange(ctx, m.Copy())
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, ErrTimeout) {
			return nil, fmt.Errorf("%w after %v", ErrTimeout, r.opts.Timeout)
		}
		return nil, err
	}
	if len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) ||
		resp.Question[0].Qtype != m.Question[0].Qtype {
		return nil, fmt.Errorf("%w (answer does not match the question)", ErrServFail)
	}
	if resp.Rcode != mdns.RcodeSuccess && resp.Rcode != mdns.RcodeNameError {
		return nil, rcodeError(resp.Rcode)
	}
	return resp, nil
}
