package metrics

import (
	"testing"
	"time"
)

// The per-buffer and per-stream events run on the relay's hot path: they
// must not allocate. AllocsPerRun counts, it does not time, so this is not a
// timing assertion.
func TestHotPathsDoNotAllocate(t *testing.T) {
	c := NewClient(nil)
	s := NewServer(nil)
	hot := map[string]func(){
		"client Bytes":             func() { c.Bytes(DirectionUp, FamilyIPv6, 1400) },
		"server Bytes":             func() { s.Bytes(DirectionDown, FamilyIPv4, 1400) },
		"StreamOpen/Closed":        func() { c.StreamOpen(KindUDP, FamilyIPv4); c.StreamClosed(KindUDP, FamilyIPv4) },
		"server StreamOpen/Closed": func() { s.StreamOpen(KindResolve, FamilyIPv6); s.StreamClosed(KindResolve, FamilyIPv6) },
		"TunnelRTT":                func() { c.TunnelRTT(FamilyIPv4, time.Millisecond) },
		"DNSAnswers":               func() { s.DNSAnswers("AAAA", 2) },
		"DestinationDenied":        func() { s.DestinationDenied(KindUDP) },
	}
	for name, f := range hot {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", name, n)
		}
	}
}

func BenchmarkBytes(b *testing.B) {
	c := NewClient(nil)
	b.ReportAllocs()
	for b.Loop() {
		c.Bytes(DirectionDown, FamilyIPv6, 32<<10)
	}
}

func BenchmarkBytesParallel(b *testing.B) {
	s := NewServer(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Bytes(DirectionUp, FamilyIPv4, 32<<10)
		}
	})
}
