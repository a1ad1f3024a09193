package dns

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Record is one address with its remaining time to live in seconds.
type Record struct {
	IP  netip.Addr
	TTL uint32
	// Stale is true for a last-good answer served from an expired cache
	// entry because every upstream failed; TTL is then 0.
	Stale bool
}

// Options configure a Resolver. Zero values pick the documented defaults.
type Options struct {
	// Upstreams are tried in order: "ip", "ip:port", "[v6]:port" (UDP, TCP
	// on truncation), "tcp://ip[:port]", "tls://host[:port]" (DoT, port 853),
	// "https://host/dns-query" (DoH POST; add "?method=get" for GET). Empty:
	// the servers of /etc/resolv.conf, else (Windows) the Go resolver.
	Upstreams []string
	Timeout   time.Duration // per query attempt; 0 → 2 s
	Attempts  int           // rounds over all upstreams; 0 → 2
	CacheSize int           // answers kept; 0 → 4096, negative → no cache
	MinTTL    time.Duration // shortest time an answer is cached; 0 → 5 s
	MaxTTL    time.Duration // longest; 0 → 1 h
	// NegativeTTL is how long NXDOMAIN/no-data is cached when the answer
	// carries no SOA; 0 → 30 s. It also caps the SOA's value.
	NegativeTTL time.Duration
	MaxStale    time.Duration // how long after expiry a last-good answer is served; 0 → 24 h, negative → never
	TLSConfig   *tls.Config   // for DoT and DoH (e.g. RootCAs in tests); nil → system roots
	HTTPClient  *http.Client  // for DoH; nil → a direct (never proxied) client
	Log         *slog.Logger  // nil → discard
}

// Resolver looks up A and AAAA records. It is safe for concurrent use.
type Resolver struct {
	opts      Options
	upstreams []upstream
	cache     *cache
	group     singleflight.Group
	now       func() time.Time
	log       *slog.Logger

	mu      sync.Mutex
	queries int // upstream queries sent, for tests and stats
}

// New validates opts and returns a Resolver.
func New(opts Options) (*Resolver, error) {
	setDefaults(&opts)
	r := &Resolver{opts: opts, now: time.Now, log: opts.Log}
	if opts.CacheSize > 0 {
		r.cache = newCache(opts.CacheSize)
	}
	for _, s := range opts.Upstreams {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := parseUpstream(s, &r.opts)
		if err != nil {
			return nil, err
		}
		r.upstreams = append(r.upstreams, u)
	}
	if len(r.upstreams) == 0 {
		r.upstreams = systemUpstreams(&r.opts)
	}
	return r, nil
}

func setDefaults(o *Options) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, 2*time.Second)
	def(&o.MinTTL, 5*time.Second)
	def(&o.MaxTTL, time.Hour)
	def(&o.NegativeTTL, 30*time.Second)
	def(&o.MaxStale, 24*time.Hour)
	if o.Attempts <= 0 {
		o.Attempts = 2
	}
	if o.CacheSize == 0 {
		o.CacheSize = 4096
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Upstreams names the upstreams in the order they are tried.
func (r *Resolver) Upstreams() []string {
	out := make([]string, len(r.upstreams))
	for i, u := range r.upstreams {
		out[i] = u.String()
	}
	return out
}

// LookupAddrs returns the A and AAAA records of host (asked in parallel,
// CNAMEs followed), IPv4 first. An IP literal is returned as itself. When
// one family fails but the other has records, the records are returned. The
// error is an *Error wrapping ErrNotFound, ErrServFail or ErrTimeout (or the
// context's error).
func (r *Resolver) LookupAddrs(ctx context.Context, host string) ([]Record, error) {
	return r.lookupAddrs(ctx, host, false)
}

// LookupAddrsComplete is LookupAddrs for callers that record a name's
// addresses (the IP list, and the server answering `domains resolve`): when
// either family fails for a reason other than "no such records" — a
// timeout, a server failure — it fails even if the other family answered.
// The caller then keeps what it had for the name, instead of losing every
// address of the family that did not answer (an IPv6 leak, once the hosts
// block and AllowedIPs are rebuilt without them).
func (r *Resolver) LookupAddrsComplete(ctx context.Context, host string) ([]Record, error) {
	return r.lookupAddrs(ctx, host, true)
}

func (r *Resolver) lookupAddrs(ctx context.Context, host string, complete bool) ([]Record, error) {
	if ip, ok := literal(host); ok {
		return []Record{{IP: ip, TTL: uint32(r.opts.MaxTTL / time.Second)}}, nil
	}
	if recs, ok := r.cachedAddrs(host); ok {
		return recs, nil
	}
	var v6 []Record
	var err6 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		v6, err6 = r.Lookup(ctx, host, mdns.TypeAAAA)
	}()
	v4, err4 := r.Lookup(ctx, host, mdns.TypeA)
	<-done
	out := append(v4, v6...)
	switch {
	case complete && err4 != nil && !errors.Is(err4, ErrNotFound):
		return nil, err4
	case complete && err6 != nil && !errors.Is(err6, ErrNotFound):
		return nil, err6
	case len(out) > 0:
		return out, nil
	case err4 == nil && err6 == nil:
		return nil, &Error{Host: trimName(host), Err: fmt.Errorf("%w (no A or AAAA records)", ErrNotFound)}
	case err4 != nil && !errors.Is(err4, ErrNotFound):
		return nil, err4
	case err6 != nil && !errors.Is(err6, ErrNotFound):
		return nil, err6 // a failure says more than a missing family
	case err4 != nil && err6 != nil:
		return nil, bothFamilies(err4)
	case err4 != nil:
		return nil, err4
	}
	return nil, err6
}

// cachedAddrs answers from fresh positive cache entries of both families
// without starting a goroutine: the common case on a busy server.
func (r *Resolver) cachedAddrs(host string) ([]Record, bool) {
	name, now := mdns.Fqdn(trimName(host)), r.now()
	e4, ok4, fresh4 := r.cache.get(cacheKey{name: name, qtype: mdns.TypeA}, now)
	e6, ok6, fresh6 := r.cache.get(cacheKey{name: name, qtype: mdns.TypeAAAA}, now)
	if !ok4 || !ok6 || !fresh4 || !fresh6 || e4.err != nil || e6.err != nil || len(e4.records)+len(e6.records) == 0 {
		return nil, false
	}
	return append(withTTL(e4.records, e4.expires, now, false), withTTL(e6.records, e6.expires, now, false)...), true
}

// bothFamilies relabels an A lookup error as one for A and AAAA.
func bothFamilies(err error) error {
	var le *Error
	if errors.As(err, &le) {
		c := *le
		c.Qtype = 0
		return &c
	}
	return err
}

// Lookup returns the records of one type (dns.TypeA or dns.TypeAAAA) for
// host, following CNAMEs. No records of that type is an empty result with
// a nil error; NXDOMAIN is an error wrapping ErrNotFound.
func (r *Resolver) Lookup(ctx context.Context, host string, qtype uint16) ([]Record, error) {
	if qtype != mdns.TypeA && qtype != mdns.TypeAAAA {
		return nil, fmt.Errorf("lookup %s: type %s not supported (A or AAAA)", host, mdns.TypeToString[qtype])
	}
	if ip, ok := literal(host); ok {
		if ip.Is4() != (qtype == mdns.TypeA) {
			return nil, nil
		}
		return []Record{{IP: ip, TTL: uint32(r.opts.MaxTTL / time.Second)}}, nil
	}
	name := trimName(host)
	if _, ok := mdns.IsDomainName(name); !ok || name == "" {
		return nil, &Error{Host: host, Qtype: qtype, Err: fmt.Errorf("%w (not a valid domain name)", ErrNotFound)}
	}
	key := cacheKey{name: mdns.Fqdn(name), qtype: qtype}
	if e, ok, fresh := r.cache.get(key, r.now()); ok && fresh {
		return r.fromCache(e, qtype, false)
	}
	ch := r.group.DoChan(fmt.Sprint(key), func() (any, error) {
		return r.resolve(context.WithoutCancel(ctx), key)
	})
	select {
	case <-ctx.Done():
		return nil, &Error{Host: name, Qtype: qtype, Err: ctx.Err()}
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]Record), nil
	}
}

func (r *Resolver) fromCache(e cacheEntry, qtype uint16, stale bool) ([]Record, error) {
	if e.err != nil {
		return nil, &Error{Host: trimName(e.key.name), Qtype: qtype, Err: e.err}
	}
	return withTTL(e.records, e.expires, r.now(), stale), nil
}

// Queries is the number of queries sent upstream so far.
func (r *Resolver) Queries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries
}

// CacheLen is the number of cached answers, fresh or expired.
func (r *Resolver) CacheLen() int { return r.cache.len() }

func literal(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func trimName(host string) string { return strings.ToLower(strings.TrimSuffix(host, ".")) }
