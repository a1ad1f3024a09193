package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type server struct {
	*streams
	sessions       *prometheus.CounterVec // {family}
	sessionsActive *prometheus.GaugeVec   // {family}
	authFailures   *prometheus.CounterVec // {reason}
	denied         *prometheus.CounterVec // {kind}

	deniedCells [3]prometheus.Counter // [kind]; UDP datagrams can be denied one by one
}

// NewServer registers the server's metrics with reg and returns the Server
// that feeds them. A nil reg creates unregistered metrics. It panics if reg
// already holds them (call it once per registry). The names do not collide
// with NewClient's, so one registry can hold both.
func NewServer(reg prometheus.Registerer) Server {
	f := promauto.With(reg)
	s := &server{
		streams: newStreams(f, "autovpn_server_", "Server"),
		sessions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "autovpn_server_sessions_total",
			Help: "Server: authenticated client sessions, by family the client connected over.",
		}, []string{"family"}),
		sessionsActive: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "autovpn_server_sessions_active",
			Help: "Server: client sessions currently open, by family.",
		}, []string{"family"}),
		authFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "autovpn_server_auth_failures_total",
			Help: "Server: rejected tunnel handshakes, by reason.",
		}, []string{"reason"}),
		denied: f.NewCounterVec(prometheus.CounterOpts{
			Name: "autovpn_server_destinations_denied_total",
			Help: "Server: destinations refused by the destination policy, by stream kind.",
		}, []string{"kind"}),
	}
	for k, kind := range kinds {
		s.deniedCells[k] = s.denied.WithLabelValues(kind)
	}
	for _, fam := range families {
		s.sessionsActive.WithLabelValues(fam) // both families show, at 0, from the start
	}
	return s
}

func (s *server) SessionOpen(fam string) {
	fam = family(fam)
	s.sessions.WithLabelValues(fam).Inc()
	s.sessionsActive.WithLabelValues(fam).Inc()
}

func (s *server) SessionClosed(fam string) { s.sessionsActive.WithLabelValues(family(fam)).Dec() }

func (s *server) AuthFailure(reason string) { s.authFailures.WithLabelValues(token(reason)).Inc() }

func (s *server) DestinationDenied(kind string) {
	if k := indexOf(kinds, kind); k >= 0 {
		s.deniedCells[k].Inc()
		return
	}
	s.denied.WithLabelValues(other).Inc()
}
