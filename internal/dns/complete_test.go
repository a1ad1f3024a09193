package dns

import (
	"errors"
	"net"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// aOnlyUpstream answers A queries and never answers AAAA ones, as some
// broken authoritative servers do.
func aOnlyUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, q *mdns.Msg) {
		if q.Question[0].Qtype != mdns.TypeA {
			return // silence
		}
		m := new(mdns.Msg)
		m.SetReply(q)
		rr, _ := mdns.NewRR(q.Question[0].Name + " 60 IN A 192.0.2.20")
		m.Answer = append(m.Answer, rr)
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// A name whose AAAA query times out: LookupAddrs (dials) takes the A
// records, LookupAddrsComplete (the IP list) fails so that the old IPv6
// entries are kept rather than dropped.
func TestLookupAddrsCompleteFailsOnAFamilyTimeout(t *testing.T) {
	r := newTestResolver(t, Options{Upstreams: []string{aOnlyUpstream(t)}, Timeout: 100 * time.Millisecond, Attempts: 1})
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
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, q *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(q)
		rr, _ := mdns.NewRR(q.Question[0].Name + " 60 IN CNAME " + q.Question[0].Name)
		m.Answer = append(m.Answer, rr)
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	r := newTestResolver(t, Options{Upstreams: []string{pc.LocalAddr().String()}, Timeout: time.Second, Attempts: 1})
	_, err = r.LookupAddrs(ctxT(t), "self.test")
	if !errors.Is(err, ErrServFail) || errors.Is(err, ErrNotFound) {
		t.Fatalf("self-referencing CNAME: %v; want a server failure, not not-found", err)
	}
}
