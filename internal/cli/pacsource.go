package cli

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/pac"
)

// pacSource serves the client's current PAC (smart mode) at /proxy.pac on
// HTTP_PORT and ADMIN_ADDR. It is rebuilt when DOMAINS_FILE changes (its
// size or modification time), checked at most once a second.
type pacSource struct {
	cfg *config.Config
	log *slog.Logger
	// socks5Port and httpPort are the bound ports (the config's may be 0).
	socks5Port, httpPort uint16

	mu      sync.Mutex
	body    []byte
	etag    string
	stamp   string // size+mtime of the domain list the body was built from
	checked time.Time
}

func newPACSource(cfg *config.Config, log *slog.Logger) *pacSource {
	return &pacSource{cfg: cfg, log: log, socks5Port: cfg.SOCKS5Port, httpPort: cfg.HTTPPort}
}

// get returns the PAC body and its ETag.
func (p *pacSource) get() ([]byte, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.body != nil && time.Since(p.checked) < time.Second {
		return p.body, p.etag
	}
	p.checked = time.Now()
	stamp := "missing"
	if st, err := os.Stat(p.cfg.DomainsFile); err == nil {
		stamp = st.ModTime().String() + "/" + strconv.FormatInt(st.Size(), 10)
	}
	if p.body != nil && stamp == p.stamp {
		return p.body, p.etag
	}
	body, err := p.render()
	if err != nil {
		p.log.Warn("PAC not rebuilt, serving the previous one", "err", err)
		if p.body == nil {
			return nil, ""
		}
		return p.body, p.etag
	}
	p.body, p.etag, p.stamp = body, pac.ETag(body), stamp
	return p.body, p.etag
}

func (p *pacSource) render() ([]byte, error) {
	var names []string
	l, err := domains.ReadList(p.cfg.DomainsFile)
	switch {
	case err == nil:
		names = l.Domains()
	case errors.Is(err, fs.ErrNotExist):
	case l != nil:
		// One bad line must not leave every listed domain going direct:
		// route the valid ones and say which lines were skipped.
		p.log.Warn("domain list has invalid lines; the PAC routes the valid entries", "file", p.cfg.DomainsFile, "err", err)
		names = l.Domains()
	default:
		return nil, err
	}
	return pac.Render(pac.Options{
		Mode: pac.Smart, Domains: names,
		SOCKS5Port: p.socks5Port, HTTPPort: p.httpPort,
		ListenV4: p.cfg.ListenV4, ListenV6: p.cfg.ListenV6, EnableIPv6: p.cfg.EnableIPv6,
	})
}

func (p *pacSource) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, etag := p.get()
	if body == nil {
		http.Error(w, "PAC not available", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}
