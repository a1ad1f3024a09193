package dns

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock replaces Resolver.now so cache expiry is tested without sleeps.
type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock                   { c := &fakeClock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestCacheHonoursTTL(t *testing.T) {
	d := startDnsmasq(t, "--local-ttl=60")
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}})
	clk := newClock()
	r.now = clk.Now
	steps := []struct {
		advance     time.Duration
		wantQueries int
		wantTTL     uint32
	}{
		{0, 2, 60},                // A + AAAA asked
		{30 * time.Second, 2, 30}, // from the cache, TTL counts down
		{31 * time.Second, 4, 60}, // expired: asked again
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		got, err := r.LookupAddrs(ctxT(t), "a.test")
		if err != nil || len(got) != 2 {
			t.Fatalf("step %d: %v, %v", i, got, err)
		}
		if q := r.Queries(); q != s.wantQueries {
			t.Errorf("step %d: %d upstream queries, want %d", i, q, s.wantQueries)
		}
		if got[0].TTL != s.wantTTL || got[0].Stale {
			t.Errorf("step %d: TTL %d stale %v, want %d fresh", i, got[0].TTL, got[0].Stale, s.wantTTL)
		}
	}
}

func TestCacheClampsTTL(t *testing.T) {
	d := startDnsmasq(t, "--local-ttl=100000")
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}, MaxTTL: time.Minute})
	clk := newClock()
	r.now = clk.Now
	got, err := r.LookupAddrs(ctxT(t), "a.test")
	if err != nil || got[0].TTL != 60 {
		t.Fatalf("TTL = %v, %v; want clamped to 60", got, err)
	}
	clk.Advance(61 * time.Second)
	if _, err := r.LookupAddrs(ctxT(t), "a.test"); err != nil || r.Queries() != 4 {
		t.Fatalf("after MaxTTL: %d queries, err %v; want asked again (4)", r.Queries(), err)
	}
}

func TestNegativeCache(t *testing.T) {
	d := startDnsmasq(t)
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}})
	clk := newClock()
	r.now = clk.Now
	for i := range 3 {
		_, err := r.LookupAddrs(ctxT(t), "nx.test")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("lookup %d: %v, want ErrNotFound", i, err)
		}
	}
	// A sentinel query after the repeats: once it is in the log, so would they be.
	if _, err := r.LookupAddrs(ctxT(t), "a.test"); err != nil {
		t.Fatal(err)
	}
	d.waitQueries(t, "AAAA", "a.test", 1)
	if n := d.countQueries(t, "A", "nx.test"); n != 1 {
		t.Fatalf("dnsmasq saw %d A queries for nx.test, want 1 (negative cache)", n)
	}
	clk.Advance(31 * time.Second) // default negative TTL 30 s
	if _, err := r.LookupAddrs(ctxT(t), "nx.test"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if n := d.waitQueries(t, "A", "nx.test", 2); n != 2 {
		t.Fatalf("after the negative TTL dnsmasq saw %d queries, want 2", n)
	}
}

// delayRelay forwards UDP DNS to upstream after a delay, so that concurrent
// lookups overlap in flight.
func delayRelay(t *testing.T, upstream string, delay time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := append([]byte(nil), buf[:n]...)
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(delay)
				c, err := net.Dial("udp", upstream)
				if err != nil {
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Write(q); err != nil {
					return
				}
				resp := make([]byte, 65535)
				if m, err := c.Read(resp); err == nil {
					_, _ = pc.WriteTo(resp[:m], from)
				}
			}()
		}
	}()
	return pc.LocalAddr().String()
}

func TestSingleflightSharesOneQuery(t *testing.T) {
	d := startDnsmasq(t)
	relay := delayRelay(t, d.V4, 300*time.Millisecond)
	r := newTestResolver(t, Options{Upstreams: []string{relay}, CacheSize: -1})
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			got, err := r.LookupAddrs(ctxT(t), "a.test")
			if err == nil && len(got) != 2 {
				err = errors.New("want 2 records")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if q := r.Queries(); q != 2 {
		t.Errorf("%d callers sent %d upstream queries, want 2 (one A, one AAAA)", callers, q)
	}
	if n := d.waitQueries(t, "A", "a.test", 1); n != 1 {
		t.Errorf("dnsmasq saw %d A queries for a.test, want 1", n)
	}
}

func TestLastGoodAnswerWhenUpstreamDies(t *testing.T) {
	d := startDnsmasq(t)
	r := newTestResolver(t, Options{Upstreams: []string{d.V4}, Timeout: 200 * time.Millisecond, Attempts: 1})
	clk := newClock()
	r.now = clk.Now
	if _, err := r.LookupAddrs(ctxT(t), "a.test"); err != nil {
		t.Fatal(err)
	}
	d.Stop(t)
	clk.Advance(time.Minute) // past MinTTL: the entry has expired
	got, err := r.LookupAddrs(ctxT(t), "a.test")
	if err != nil {
		t.Fatalf("want the last good answer, got %v", err)
	}
	if !slices.Equal(ips(got), []string{"192.0.2.10", "2001:db8::10"}) || !got[0].Stale || got[0].TTL != 0 {
		t.Fatalf("got %+v, want both addresses marked stale with TTL 0", got)
	}
	clk.Advance(25 * time.Hour) // past MaxStale
	if _, err := r.LookupAddrs(ctxT(t), "a.test"); err == nil || !strings.Contains(err.Error(), "a.test") {
		t.Fatalf("past MaxStale: err = %v, want a failure naming a.test", err)
	}
	if _, err := r.LookupAddrs(ctxT(t), "v4only.test"); err == nil {
		t.Fatal("a name never resolved cannot have a last good answer")
	}
}

// silentUDP is a UDP socket that reads and never answers: an upstream
// whose packets are dropped.
func silentUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func TestFailoverAndTimeout(t *testing.T) {
	d := startDnsmasq(t)
	dead := silentUDP(t)
	r := newTestResolver(t, Options{Upstreams: []string{dead, d.V6}, Timeout: 200 * time.Millisecond, Attempts: 1})
	if got, err := r.LookupAddrs(ctxT(t), "a.test"); err != nil || len(got) != 2 {
		t.Fatalf("with the first upstream silent: %v, %v", got, err)
	}
	dead2 := silentUDP(t)
	r = newTestResolver(t, Options{Upstreams: []string{dead, dead2}, Timeout: 100 * time.Millisecond, Attempts: 2})
	_, err := r.LookupAddrs(ctxT(t), "a.test")
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), dead2) {
		t.Fatalf("err = %v, want ErrTimeout naming both upstreams", err)
	}
	if q := r.Queries(); q != 8 {
		t.Fatalf("%d queries, want 2 types x 2 attempts x 2 upstreams = 8", q)
	}
}

// TestUpstreamDroppedByNftables: a real dnsmasq whose packets nftables
// drops (the realistic unreachable upstream) is skipped for the next one,
// and the failure names it when it is the only one.
func TestUpstreamDroppedByNftables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for nftables")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed (apt-get install nftables)")
	}
	dropped := startDnsmasq(t)
	good := startDnsmasq(t)
	_, port, _ := net.SplitHostPort(dropped.V4)
	table := "autovpn_test_" + port
	rules := "table inet " + table + " { chain in { type filter hook input priority 0; udp dport " + port + " drop; tcp dport " + port + " drop; }; }"
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
	r := newTestResolver(t, Options{Upstreams: []string{dropped.V4, good.V4}, Timeout: 200 * time.Millisecond, Attempts: 1})
	if got, err := r.LookupAddrs(ctxT(t), "a.test"); err != nil || len(got) != 2 {
		t.Fatalf("with the first upstream dropped: %v, %v", got, err)
	}
	only := newTestResolver(t, Options{Upstreams: []string{dropped.V4}, Timeout: 100 * time.Millisecond, Attempts: 1})
	if _, err := only.LookupAddrs(ctxT(t), "a.test"); !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), dropped.V4) {
		t.Fatalf("only the dropped upstream: err = %v, want ErrTimeout naming it", err)
	}
}
