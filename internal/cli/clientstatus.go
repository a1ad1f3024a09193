package cli

import (
	"time"

	"github.com/autovpn/autovpn/internal/client"
)

// clientStatus is what GET /status on ADMIN_ADDR returns.
type clientStatus struct {
	Tunnel    client.Status `json:"tunnel"`
	Listeners []listener    `json:"listeners"`
	Uptime    string        `json:"uptime"`
	IPv6      bool          `json:"ipv6_enabled"`
}

func (r *runningClient) status() any {
	return clientStatus{
		Tunnel:    r.c.Status(),
		Listeners: r.listeners,
		Uptime:    time.Since(r.started).Round(time.Second).String(),
		IPv6:      r.cfg.EnableIPv6,
	}
}
