// Package metrics records what the client and the server do as Prometheus
// metrics (DESIGN §8). Code reports domain events through the small Client
// and Server interfaces; NewClient/NewServer count them in a registry, and
// NopClient/NopServer discard them, so tests and callers without a metrics
// address need no registry. Every name starts "autovpn_" and every metric
// about an address family carries family="ipv4|ipv6". Label values are
// checked: an unknown family becomes "unknown", any other unexpected value
// "other".
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StreamEvents are the events the client and the server share; code that
// only relays (proxies, UDP forward) can take just this. A stream counts as active from a
// StreamOpen (a successful open) to its StreamClosed; a failed open reports
// StreamFailure only.
type StreamEvents interface {
	// StreamOpen counts a successful open. kind is tcp, udp or resolve;
	// family that of the address actually dialled ("" counts as unknown).
	StreamOpen(kind, family string)
	// StreamFailure counts a failed open; family is that of the
	// destination when known (a literal address), else that of the tunnel
	// the stream rode on; reason is a snake_case result such as
	// Reason(netx.Denied) = "denied".
	StreamFailure(kind, family, reason string)
	// StreamClosed ends a stream StreamOpen counted with the same kind and
	// family (the active gauge is labelled with both).
	StreamClosed(kind, family string)
	// Bytes counts n payload bytes relayed; direction is "up" (towards the
	// destination) or "down", family that of the stream's destination.
	// It does not allocate: it runs for every buffer relayed.
	Bytes(direction, family string, n int64)
	// DNSAnswers counts n answer records of type qtype ("A" or "AAAA").
	DNSAnswers(qtype string, n int)
}

// Client is the client's view: tunnels to the server and streams through them.
type Client interface {
	StreamEvents
	// TunnelConnect counts a tunnel connection attempt over family; result
	// is ok, error, auth_failed, tls_pin_mismatch or timeout.
	TunnelConnect(family, result string)
	// TunnelRTT records one keepalive round trip over a tunnel of family.
	TunnelRTT(family string, rtt time.Duration)
	// HappyEyeballsWinner counts the family that won a connection race.
	HappyEyeballsWinner(family string)
	// TunnelsUp sets how many tunnels of family are up.
	TunnelsUp(family string, n int)
}

// Server is the server's view: client sessions and the dials made for them.
type Server interface {
	StreamEvents
	// SessionOpen counts an authenticated session whose client reached the
	// server over family; SessionClosed ends it.
	SessionOpen(family string)
	SessionClosed(family string)
	// AuthFailure counts a rejected handshake; reason is a snake_case word
	// (e.g. bad_path, bad_secret, bad_version).
	AuthFailure(reason string)
	// DestinationDenied counts a destination the policy refused, by stream
	// kind (checked after resolution and for every UDP datagram).
	DestinationDenied(kind string)
}

// NewRegistry returns a registry holding the Go runtime and process
// collectors, ready for NewClient or NewServer.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the metrics gathered from g in the Prometheus text format
// (or OpenMetrics when asked). Gathering errors are logged with slog and the
// rest is still served.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// NopClient returns a Client that records nothing.
func NopClient() Client { return nop{} }

// NopServer returns a Server that records nothing.
func NopServer() Server { return nop{} }

type nop struct{}

func (nop) StreamOpen(string, string)            {}
func (nop) StreamFailure(string, string, string) {}
func (nop) StreamClosed(string, string)          {}
func (nop) Bytes(string, string, int64)          {}
func (nop) DNSAnswers(string, int)               {}
func (nop) TunnelConnect(string, string)         {}
func (nop) TunnelRTT(string, time.Duration)      {}
func (nop) HappyEyeballsWinner(string)           {}
func (nop) TunnelsUp(string, int)                {}
func (nop) SessionOpen(string)                   {}
func (nop) SessionClosed(string)                 {}
func (nop) AuthFailure(string)                   {}
func (nop) DestinationDenied(string)             {}
