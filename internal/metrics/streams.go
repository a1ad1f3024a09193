package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// streams holds the stream, byte and DNS metrics the client and the server
// share; prefix keeps their names apart ("autovpn_" vs "autovpn_server_") so
// both can live in one registry (the demo command runs both in one process).
//
// The label children of the busy paths are resolved once here: a per-call
// WithLabelValues hashes its labels and takes a lock, Bytes runs for every
// buffer relayed.
type streams struct {
	opens    *prometheus.CounterVec // {kind,family}
	failures *prometheus.CounterVec // {kind,family,reason}
	active   *prometheus.GaugeVec   // {kind,family}
	bytes    *prometheus.CounterVec // {direction,family}
	dns      *prometheus.CounterVec // {type}

	openCells   [3][2]prometheus.Counter // [kind][family]
	activeCells [3][2]prometheus.Gauge   // [kind][family]
	byteCells   [2][2]prometheus.Counter // [direction][family]
	dnsCells    [2]prometheus.Counter    // [qtype]
}

func newStreams(f promauto.Factory, prefix, who string) *streams {
	s := &streams{
		opens: f.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "stream_opens_total",
			Help: who + " streams opened, by kind (tcp, udp, resolve) and family of the dialled address.",
		}, []string{"kind", "family"}),
		failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "stream_failures_total",
			Help: who + " stream opens that failed, by kind, family (of the destination when known, else of the tunnel) and reason (denied, refused, timeout, ...).",
		}, []string{"kind", "family", "reason"}),
		active: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: prefix + "streams_active",
			Help: who + " streams currently open, by kind and family (as in stream_opens_total).",
		}, []string{"kind", "family"}),
		bytes: f.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "bytes_total",
			Help: who + " payload bytes relayed, by direction (up: towards the destination, down: back) and family.",
		}, []string{"direction", "family"}),
		dns: f.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "dns_answers_total",
			Help: who + " DNS answer records of resolve streams, by record type.",
		}, []string{"type"}),
	}
	for k, kind := range kinds {
		for i, fam := range families {
			s.openCells[k][i] = s.opens.WithLabelValues(kind, fam)
			s.activeCells[k][i] = s.active.WithLabelValues(kind, fam)
		}
	}
	for d, dir := range directions {
		for i, fam := range families {
			s.byteCells[d][i] = s.bytes.WithLabelValues(dir, fam)
		}
	}
	for q, qtype := range qtypes {
		s.dnsCells[q] = s.dns.WithLabelValues(qtype)
	}
	return s
}

func (s *streams) StreamOpen(kind, family string) {
	k, f := indexOf(kinds, kind), indexOf(families, family)
	if k >= 0 && f >= 0 {
		s.openCells[k][f].Inc()
		s.activeCells[k][f].Inc()
		return
	}
	kind, family = oneOf(kinds, kind, other), oneOf(families, family, FamilyUnknown)
	s.opens.WithLabelValues(kind, family).Inc()
	s.active.WithLabelValues(kind, family).Inc()
}

func (s *streams) StreamFailure(kind, family, reason string) {
	s.failures.WithLabelValues(oneOf(kinds, kind, other), oneOf(families, family, FamilyUnknown), token(reason)).Inc()
}

func (s *streams) StreamClosed(kind, family string) {
	k, f := indexOf(kinds, kind), indexOf(families, family)
	if k >= 0 && f >= 0 {
		s.activeCells[k][f].Dec()
		return
	}
	s.active.WithLabelValues(oneOf(kinds, kind, other), oneOf(families, family, FamilyUnknown)).Dec()
}

func (s *streams) Bytes(direction, family string, n int64) {
	if n <= 0 { // a counter panics on a negative add
		return
	}
	d, f := indexOf(directions, direction), indexOf(families, family)
	if d >= 0 && f >= 0 {
		s.byteCells[d][f].Add(float64(n))
		return
	}
	s.bytes.WithLabelValues(oneOf(directions, direction, other), oneOf(families, family, FamilyUnknown)).Add(float64(n))
}

func (s *streams) DNSAnswers(qtype string, n int) {
	if n <= 0 {
		return
	}
	if q := indexOf(qtypes, qtype); q >= 0 {
		s.dnsCells[q].Add(float64(n))
		return
	}
	s.dns.WithLabelValues(other).Add(float64(n))
}
