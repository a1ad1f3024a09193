package wgconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Managed is the part of a config autovpn owns: what Sync writes and what a
// backup keeps and rollback puts back. A key the config did not have is
// recorded by its zero mark (Endpoint "", MTU 0, Keepalive -1; values
// WireGuard itself rejects, so they cannot be mistaken for a setting), and
// SetManaged removes such a key again. Snapshots written before SetManaged
// removed keys carry the same marks, so they restore the same way.
type Managed struct {
	Endpoint   string         `json:"endpoint"`    // "": not set
	AllowedIPs []netip.Prefix `json:"allowed_ips"` // none: not set
	MTU        int            `json:"mtu"`         // 0: not set
	Keepalive  int            `json:"keepalive"`   // -1: not set (or "off")
	// Bare are the AllowedIPs entries written as a plain address, without
	// a mask (WireGuard reads them as /32 or /128). autovpn always writes a
	// mask, so these are the user's own host routes: Sync keeps them and
	// they are written back the way they were.
	Bare []netip.Addr `json:"bare_hosts,omitempty"`
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
			p, bare, err := parseAllowed(f)
			if err != nil {
				return Managed{}, fmt.Errorf("AllowedIPs %q: %w", f, err)
			}
			m.AllowedIPs = append(m.AllowedIPs, p)
			if bare {
				m.Bare = append(m.Bare, p.Addr())
			}
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
// Keys m records as not set are removed, so a rollback also undoes the keys
// a sync added.
func (c *Conf) SetManaged(m Managed, serverHosts []string) error {
	iface, err := c.iface()
	if err != nil {
		return err
	}
	peer, err := c.tunnelPeer(SyncOptions{ServerHosts: serverHosts, Endpoint: m.Endpoint})
	if err != nil {
		return err
	}
	c.setManaged(iface, peer, m, true)
	return c.Validate()
}

// setManaged writes the peer's keys first, then the interface's, so the
// section indexes taken before stay right for the section that comes first.
// A key m does not set is removed when restore is true (rollback) and left
// alone otherwise (Sync with MTU_SIZE 0 or a negative keepalive).
func (c *Conf) setManaged(iface, peer section, m Managed, restore bool) {
	write := func(s section, key string, isSet bool, value string) {
		switch {
		case isSet:
			c.set(c.refresh(s), key, value)
		case restore:
			c.set(c.refresh(s), key) // no values: the key's lines go
		}
	}
	writeSection := func(s section) {
		if s.name == "peer" {
			write(s, "Endpoint", m.Endpoint != "", m.Endpoint)
			write(s, "PersistentKeepalive", m.Keepalive >= 0, itoa(m.Keepalive))
			c.set(c.refresh(s), "AllowedIPs", chunk(m.AllowedIPs, m.Bare)...)
			return
		}
		write(s, "MTU", m.MTU > 0, itoa(m.MTU))
	}
	if peer.head > iface.head {
		writeSection(peer)
		writeSection(iface)
	} else {
		writeSection(iface)
		writeSection(peer)
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

// chunk renders AllowedIPs values, allowedPerLine to a line; a host route
// whose address is in bare is written without its mask, as the user wrote it.
func chunk(ps []netip.Prefix, bare []netip.Addr) []string {
	plain := map[netip.Prefix]bool{}
	for _, a := range bare {
		plain[netip.PrefixFrom(a, a.BitLen())] = true
	}
	var out []string
	for i := 0; i < len(ps); i += allowedPerLine {
		var fs []string
		for _, p := range ps[i:min(i+allowedPerLine, len(ps))] {
			if plain[p] {
				fs = append(fs, p.Addr().String())
			} else {
				fs = append(fs, p.String())
			}
		}
		out = append(out, strings.Join(fs, ", "))
	}
	return out
}
