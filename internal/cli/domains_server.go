package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/client"
	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/dns"
	"github.com/autovpn/autovpn/internal/netx"
)

func init() { serverLookuper = tunnelLookuper }

// tunnelLookuper opens a tunnel to the server for the length of one
// command (`domains resolve` with DNS_VIA_SERVER=true): every lookup is a
// resolve stream answered by the server's resolver, so the local DNS never
// sees the names.
func tunnelLookuper(app *App, cfg *config.Config) (Lookuper, io.Closer, error) {
	if err := cfg.Validate(config.RoleClient); err != nil {
		return nil, nil, configError(err)
	}
	c, err := newTunnelClient(cfg, app.Log, nil)
	if err != nil {
		return nil, nil, &UsageError{Err: err}
	}
	ctx, cancel := context.WithCancel(app.Ctx)
	tl := &tunnelLookup{c: c, cancel: cancel}
	tl.wg.Add(1)
	go func() { defer tl.wg.Done(); c.Run(ctx) }()
	// Fail early, with the reason, when the server cannot be reached at all.
	probeCtx, done := context.WithTimeout(ctx, 15*time.Second)
	defer done()
	if _, err := c.LookupAddrs(probeCtx, "localhost"); netx.CodeOf(err) == netx.TunnelDown {
		tl.Close()
		return nil, nil, fmt.Errorf("DNS_VIA_SERVER=true but the server cannot be reached: %w", err)
	}
	return tl, tl, nil
}

type tunnelLookup struct {
	c      *client.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (t *tunnelLookup) LookupAddrs(ctx context.Context, host string) ([]dns.Record, error) {
	recs, err := t.c.LookupAddrs(ctx, host)
	if err != nil {
		if netx.CodeOf(err) == netx.NotFound {
			return nil, fmt.Errorf("%w: %v", dns.ErrNotFound, err)
		}
		return nil, err
	}
	out := make([]dns.Record, len(recs))
	for i, r := range recs {
		out[i] = dns.Record{IP: r.IP, TTL: r.TTL}
	}
	return out, nil
}

func (t *tunnelLookup) Close() error {
	t.cancel()
	t.wg.Wait()
	return nil
}
