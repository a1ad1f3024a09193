package cli

import (
	"net/http"

	"github.com/autovpn/autovpn/internal/config"
)

// pacSource serves the current PAC file. Until the PAC generator is wired
// it answers 404.
type pacSource struct {
	cfg *config.Config
}

func newPACSource(cfg *config.Config) *pacSource { return &pacSource{cfg: cfg} }

// get returns the PAC body and its ETag (nil when there is none).
func (p *pacSource) get() ([]byte, string) { return nil, "" }

func (p *pacSource) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, etag := p.get()
	if body == nil {
		http.NotFound(w, r)
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
