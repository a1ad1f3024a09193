package dns

import (
	"errors"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/autovpn/autovpn/internal/testbed"
)

// A name whose AAAA query times out: LookupAddrs (dials) takes the A
// records, LookupAddrsComplete (the IP list) fails so that the old IPv6
// entries are kept rather than dropped.
func TestLookupAddrsCompleteFailsOnAFamilyTimeout(t *testing.T) {
	r := newTestResolver(t, Options{Upstreams: []string{testbed.ScriptedDNS(t, testbed.SilentAAAA("192.0.2.20"))}, Timeout: 100 * time.Millisecond, Attempts: 1})
	got, err := r.LookupAddrs(ctxT(t), "v6drop.test")
	if err != nil || len(got) != 1 || got[0].IP.String() != "192.0.2.20" {
		t.Fatalf("LookupAddrs = %v, %v; want the A record alone", got, err)
	}
	got, err = r.LookupAddrsComplete(ctxT(t), "v6drop.test")
	if !errors.Is(err, ErrTimeout) || len(got) != 0 {
		t.Fatalf("LookupAddrsComplete = %v, %v; want a timeout and no records", got, err)
	}
}

// A CNAME to itself is a broken zone (SERVFAIL), not a name without
// records: `domains resolve` then keeps the name's previous addresses
// instead of dropping them as not found.
func TestSelfCNAMEIsServFail(t *testing.T) {
	self := testbed.ScriptedDNS(t, func(w mdns.ResponseWriter, q *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(q)
		rr, _ := mdns.NewRR(q.Question[0].Name + " 60 IN CNAME " + q.Question[0].Name)
		m.Answer = append(m.Answer, rr)
		_ = w.WriteMsg(m)
	})
	r := newTestResolver(t, Options{Upstreams: []string{self}, Timeout: time.Second, Attempts: 1})
	_, err := r.LookupAddrs(ctxT(t), "self.test")
	if !errors.Is(err, ErrServFail) || errors.Is(err, ErrNotFound) {
		t.Fatalf("self-referencing CNAME: %v; want a server failure, not not-found", err)
	}
}
