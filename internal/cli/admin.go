package cli

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// adminMux serves /metrics, /healthz, /readyz and, when status is set,
// /status (JSON) and anything in extra.
func adminMux(g prometheus.Gatherer, ready func() bool, status func() any) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(g))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "tunnel down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	if status != nil {
		mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(status())
		})
	}
	return mux
}

// serveAdmin serves h on addr (and, with alsoV6 and a loopback IPv4 addr,
// on [::1] at the same port) until ctx ends. "" disables it. Bind errors are
// logged, not fatal: the tunnel matters more than its dashboard.
func serveAdmin(ctx context.Context, log *slog.Logger, addr string, h http.Handler, alsoV6 bool) (stop func(), bound []string) {
	if addr == "" {
		return func() {}, nil
	}
	addrs := []string{addr}
	if host, port, err := net.SplitHostPort(addr); err == nil && alsoV6 && host == "127.0.0.1" {
		addrs = append(addrs, net.JoinHostPort("::1", port))
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	var wg sync.WaitGroup
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			level := slog.LevelWarn
			if strings.HasPrefix(a, "[::1]") {
				level = slog.LevelInfo
			}
			log.Log(ctx, level, "admin listener not available", "addr", a, "err", err)
			continue
		}
		log.Info("admin listening", "addr", ln.Addr().String())
		bound = append(bound, ln.Addr().String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("admin listener failed", "err", err)
			}
		}()
	}
	stopCtx := context.AfterFunc(ctx, func() { hs.Close() })
	return func() {
		stopCtx()
		hs.Close()
		wg.Wait()
	}, bound
}
