package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type client struct {
	*streams
	connects *prometheus.CounterVec   // {family,result}
	rtt      *prometheus.HistogramVec // {family}
	wins     *prometheus.CounterVec   // {family}
	up       *prometheus.GaugeVec     // {family}

	rttCells [2]prometheus.Observer // [family]
}

// NewClient registers the client's metrics with reg and returns the Client
// that feeds them. A nil reg creates unregistered metrics. It panics if reg
// already holds them (call it once per registry).
func NewClient(reg prometheus.Registerer) Client {
	f := promauto.With(reg)
	c := &client{
		streams: newStreams(f, "autovpn_", "Client"),
		connects: f.NewCounterVec(prometheus.CounterOpts{
			Name: "autovpn_tunnel_connects_total",
			Help: "Tunnel connection attempts to the server, by family and result (ok, error, auth_failed, tls_pin_mismatch, timeout).",
		}, []string{"family", "result"}),
		rtt: f.NewHistogramVec(prometheus.HistogramOpts{
			Name: "autovpn_tunnel_rtt_seconds",
			Help: "Round-trip time of tunnel keepalive pings, by family.",
			// 1 ms to ~4 s: loopback to a VPS on another continent.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 13),
		}, []string{"family"}),
		wins: f.NewCounterVec(prometheus.CounterOpts{
			Name: "autovpn_happy_eyeballs_wins_total",
			Help: "Happy Eyeballs connection races to the server won, by family of the winner.",
		}, []string{"family"}),
		up: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "autovpn_tunnels_up",
			Help: "Tunnels to the server currently up, by family.",
		}, []string{"family"}),
	}
	for i, fam := range families {
		c.rttCells[i] = c.rtt.WithLabelValues(fam)
		c.up.WithLabelValues(fam) // both families show, at 0, from the start
	}
	return c
}

func family(s string) string { return oneOf(families, s, FamilyUnknown) }

func (c *client) TunnelConnect(fam, result string) {
	c.connects.WithLabelValues(family(fam), oneOf(results, result, other)).Inc()
}

func (c *client) TunnelRTT(fam string, rtt time.Duration) {
	if i := indexOf(families, fam); i >= 0 {
		c.rttCells[i].Observe(rtt.Seconds())
		return
	}
	c.rtt.WithLabelValues(FamilyUnknown).Observe(rtt.Seconds())
}

func (c *client) HappyEyeballsWinner(fam string) { c.wins.WithLabelValues(family(fam)).Inc() }

func (c *client) TunnelsUp(fam string, n int) { c.up.WithLabelValues(family(fam)).Set(float64(n)) }
