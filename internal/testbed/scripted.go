package testbed

import (
	"net"
	"testing"

	mdns "github.com/miekg/dns"
)

// ScriptedDNS serves DNS on UDP 127.0.0.1 at a free port, h answering
// every query, and returns its address. It is serving when ScriptedDNS
// returns and stops at cleanup. It is for what dnsmasq (StartDNS) cannot be
// made to do: stay silent for one record type, answer with a CNAME loop.
// A handler that writes nothing lets the query time out.
func ScriptedDNS(t testing.TB, h mdns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// SilentAAAA answers every A query with a (an IPv4 literal, TTL 60) and
// never answers AAAA, as some broken authoritative servers do.
func SilentAAAA(a string) mdns.HandlerFunc {
	return func(w mdns.ResponseWriter, q *mdns.Msg) {
		if q.Question[0].Qtype != mdns.TypeA {
			return
		}
		m := new(mdns.Msg)
		m.SetReply(q)
		rr, _ := mdns.NewRR(q.Question[0].Name + " 60 IN A " + a)
		m.Answer = append(m.Answer, rr)
		_ = w.WriteMsg(m)
	}
}
