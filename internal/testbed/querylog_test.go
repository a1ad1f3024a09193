package testbed

import (
	"reflect"
	"strings"
	"testing"
)

const sampleLog = `Nov 24 12:00:00 dnsmasq[42]: started, version 2.90 cachesize 150
Nov 24 12:00:01 dnsmasq[42]: query[A] a.test from 10.0.1.1
Nov 24 12:00:01 dnsmasq[42]: config a.test is 192.0.2.10
Nov 24 12:00:01 dnsmasq[42]: query[AAAA] WWW.Test. from 2001:db8:1::1
junk query[ no close
Nov 24 12:00:02 dnsmasq[42]: query[HTTPS] x.test from ::1
Nov 24 12:00:02 dnsmasq[42]: query[] empty.test from ::1
`

func TestParseQueryLog(t *testing.T) {
	want := []Query{
		{"A", "a.test", "10.0.1.1"},
		{"AAAA", "WWW.Test", "2001:db8:1::1"},
		{"HTTPS", "x.test", "::1"},
	}
	if got := ParseQueryLog(sampleLog); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseQueryLog = %+v, want %+v", got, want)
	}
}

func TestDroppedByKernel(t *testing.T) {
	tests := map[string]int{
		"17 packets captured\n32 packets received by filter\n14 packets dropped by kernel\n": 14,
		"3 packets captured\n0 packets dropped by kernel":                                    0,
		"tcpdump: listening on any":                                                          -1,
	}
	for in, want := range tests {
		if got := droppedByKernel(in); got != want {
			t.Errorf("droppedByKernel(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzParseQueryLog(f *testing.F) {
	f.Add(sampleLog)
	f.Add(" query[A] x from y")
	f.Add(" query[] from ")
	f.Fuzz(func(t *testing.T, log string) {
		for _, q := range ParseQueryLog(log) {
			if q.Type == "" || q.Name == "" || strings.ContainsAny(q.Type+q.Name, " \n") {
				t.Errorf("bad query %+v from %q", q, log)
			}
		}
	})
}
