package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/dns"
	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/policy"
	"github.com/autovpn/autovpn/internal/server"
	"github.com/autovpn/autovpn/internal/tunnel"
	"github.com/autovpn/autovpn/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
)

func init() { register("server", newServerCmd) }

func newServerCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "server",
		Short: "Run the tunnel server until SIGINT/SIGTERM (graceful drain)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dataPathProcs()
			cfg, err := app.LoadConfig(config.RoleServer)
			if err != nil {
				return err
			}
			rs, err := startServer(cmd.Context(), app.Log, cfg)
			if err != nil {
				return err
			}
			return rs.wait()
		},
	}
}

// runningServer is a started tunnel server.
type runningServer struct {
	addrs []net.Addr
	done  chan struct{}
	err   error
}

func (r *runningServer) wait() error { <-r.done; return r.err }

// startServer binds SERVER_LISTEN (and METRICS_ADDR) and serves until ctx
// ends, then drains: no new sessions, open streams get up to 10 s.
func startServer(ctx context.Context, log *slog.Logger, cfg *config.Config) (*runningServer, error) {
	res, err := dns.New(dns.Options{Upstreams: upstreams(cfg), Log: log})
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("PRIMARY_DNS/SECONDARY_DNS: %w", err)}
	}
	reg := metrics.NewRegistry()
	ev := metrics.NewServer(reg)
	srv := &server.Server{
		Prefix:   cfg.Prefix,
		Policy:   policy.New(cfg.AllowDestinations, cfg.AllowHostPorts, cfg.ServerRestrictPort),
		Resolver: dnsAdapter{res},
		Dialer:   &netx.HappyEyeballs{},
		Log:      log,
		Events:   ev,
	}
	lns, err := listenServer(log, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.TLS {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			closeAll(lns)
			return nil, &UsageError{Err: fmt.Errorf("TLS_CERT/TLS_KEY: %w", err)}
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		for i, ln := range lns {
			lns[i] = tls.NewListener(tunnel.BatchListener(ln), tc)
		}
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	rs := &runningServer{done: make(chan struct{})}
	var wg sync.WaitGroup
	for _, ln := range lns {
		rs.addrs = append(rs.addrs, ln.Addr())
		log.Info("tunnel server listening", "addr", ln.Addr().String(), "tls", cfg.TLS)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("tunnel listener failed", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	stopMetrics, _ := serveAdmin(ctx, log, cfg.MetricsAddr, adminMux(reg, func() bool { return true }, nil), false)
	go func() {
		defer close(rs.done)
		<-ctx.Done()
		log.Info("draining tunnel server")
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(dctx)
		if err := srv.Shutdown(dctx); err != nil {
			log.Warn("drain timed out, closing sessions", "err", err)
		}
		wg.Wait()
		stopMetrics()
	}()
	return rs, nil
}

// listenServer binds every SERVER_LISTEN address. "[::]:port" is dual-stack
// on Linux; where the host has no IPv6 it falls back to 0.0.0.0 with a warning.
func listenServer(log *slog.Logger, cfg *config.Config) ([]net.Listener, error) {
	var lns []net.Listener
	for _, a := range cfg.ServerListen {
		ln, err := net.Listen("tcp", a)
		if err != nil && strings.HasPrefix(a, "[::]:") {
			v4 := "0.0.0.0:" + strings.TrimPrefix(a, "[::]:")
			log.Warn("IPv6 listen failed, serving IPv4 only", "addr", a, "err", err)
			ln, err = net.Listen("tcp", v4)
		}
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("SERVER_LISTEN %s: %w", a, err)
		}
		lns = append(lns, server.LimitListener(ln, 0))
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

func upstreams(cfg *config.Config) []string {
	var u []string
	for _, s := range []string{cfg.PrimaryDNS, cfg.SecondaryDNS} {
		if s != "" {
			u = append(u, s)
		}
	}
	return u
}

// dnsAdapter gives the server the resolver's answers as wire records and
// marks "no such name" with the NotFound code.
type dnsAdapter struct{ r *dns.Resolver }

func (d dnsAdapter) LookupAddrs(ctx context.Context, host string) ([]wire.Record, error) {
	return d.convert(d.r.LookupAddrs(ctx, host))
}

// LookupAddrsComplete answers resolve streams (`domains resolve` through
// the server): it fails when either family failed, see
// dns.Resolver.LookupAddrsComplete.
func (d dnsAdapter) LookupAddrsComplete(ctx context.Context, host string) ([]wire.Record, error) {
	return d.convert(d.r.LookupAddrsComplete(ctx, host))
}

func (d dnsAdapter) convert(recs []dns.Record, err error) ([]wire.Record, error) {
	if err != nil {
		var de *dns.Error
		host := ""
		if errors.As(err, &de) {
			host = de.Host
		}
		if errors.Is(err, dns.ErrNotFound) {
			return nil, &netx.DialError{Code: netx.NotFound, Addr: host, Msg: err.Error()}
		}
		if errors.Is(err, dns.ErrTimeout) {
			return nil, &netx.DialError{Code: netx.Timeout, Addr: host, Msg: err.Error()}
		}
		return nil, err
	}
	out := make([]wire.Record, len(recs))
	for i, r := range recs {
		out[i] = wire.Record{IP: r.IP, TTL: r.TTL}
	}
	return out, nil
}

var _ prometheus.Gatherer = (*prometheus.Registry)(nil)
