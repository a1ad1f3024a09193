package wgconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Managed is the part of a config autovpn owns: what Sync writes and what a
// backup keeps and rollback puts back.
type Managed struct {
	Endpoint   string         `json:"endpoint"`
	AllowedIPs []netip.Prefix `json:"allowed_ips"`
	MTU        int            `json:"mtu"`       // 0: not set
	Keepalive  int            `json:"keepalive"` // -1: not set
}

// Managed reads autovpn's part of the config.
func (c *Conf) Managed(serverHosts []string) (Managed, error) {
	iface, err := c.iface()
	if err != nil {
		return Managed{}, err
	}
	peer, err := c.tunnelPeer(SyncOptions{ServerHosts: serverHosts})
	if err != nil {
		return Managed{}, err
	}
	m := Managed{Keepalive: -1}
	if v, _ := c.get(peer, "Endpoint"); len(v) > 0 {
		m.Endpoint = v[0]
	}
	vals, _ := c.get(peer, "AllowedIPs")
	for _, v := range vals {
		for _, f := range splitList(v) {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return Managed{}, fmt.Errorf("AllowedIPs %q: %w", f, err)
			}
			m.AllowedIPs = append(m.AllowedIPs, p)
		}
	}
	if v, _ := c.get(iface, "MTU"); len(v) > 0 {
		m.MTU, _ = strconv.Atoi(v[0])
	}
	if v, _ := c.get(peer, "PersistentKeepalive"); len(v) > 0 {
		if n, err := strconv.Atoi(v[0]); err == nil {
			m.Keepalive = n
		}
	}
	return m, nil
}

// SetManaged writes m into the config (rollback) and validates the result.
func (c *Conf) SetManaged(m Managed, serverHosts []string) error {
	iface, err := c.iface()
	if err != nil {
		return err
	}
	peer, err := c.tunnelPeer(SyncOptions{ServerHosts: serverHosts, Endpoint: m.Endpoint})
	if err != nil {
		return err
	}
	c.setManaged(iface, peer, m)
	return c.Validate()
}

// setManaged writes the peer's keys first, then the interface's, so the
// section indexes taken before stay right for the section that comes first.
func (c *Conf) setManaged(iface, peer section, m Managed) {
	write := func(s section) {
		if s.name == "peer" {
			if m.Endpoint != "" {
				c.set(c.refresh(s), "Endpoint", m.Endpoint)
			}
			if m.Keepalive >= 0 {
				c.set(c.refresh(s), "PersistentKeepalive", itoa(m.Keepalive))
			}
			c.set(c.refresh(s), "AllowedIPs", chunk(m.AllowedIPs)...)
			return
		}
		if m.MTU > 0 {
			c.set(c.refresh(s), "MTU", itoa(m.MTU))
		}
	}
	if peer.head > iface.head {
		write(peer)
		write(iface)
	} else {
		write(iface)
		write(peer)
	}
}

// refresh finds a section again after lines moved (by its header line).
func (c *Conf) refresh(s section) section {
	for _, t := range c.sections() {
		if t.head == s.head {
			return t
		}
	}
	return s
}

func chunk(ps []netip.Prefix) []string {
	var out []string
	for i := 0; i < len(ps); i += allowedPerLine {
		var fs []string
		for _, p := range ps[i:min(i+allowedPerLine, len(ps))] {
			fs = append(fs, p.String())
		}
		out = append(out, strings.Join(fs, ", "))
	}
	return out
}
