package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/wgconf"
)

var leakFamNames = [2]string{"ipv4", "ipv6"}

func famIndex(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// leakCoverageRows checks that the hosts block and the WireGuard config
// carry every address of the IP list, A and AAAA alike: a routed name with
// an AAAA but no IPv6 hosts line makes the system ask DNS and connect
// directly over IPv6; an address outside AllowedIPs bypasses WireGuard.
func leakCoverageRows(cfg *config.Config) []leakRow {
	entries, err := domains.ReadIPList(cfg.IPListFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d := "IP_LIST_FILE " + cfg.IPListFile + " does not exist; write it with `autovpn domains resolve`"
		return []leakRow{{"hosts covers the IP list", "-", leakSkip, d}, {"WireGuard covers the IP list", "-", leakSkip, d}}
	case err != nil:
		d := "IP_LIST_FILE: " + err.Error()
		return []leakRow{{"hosts covers the IP list", "-", leakFail, d}, {"WireGuard covers the IP list", "-", leakFail, d}}
	}
	return append(hostsCoverRows(cfg, entries), wgCoverRows(cfg, entries)...)
}

func hostsCoverRows(cfg *config.Config, entries []domains.IPEntry) []leakRow {
	const check = "hosts covers the IP list"
	data, err := os.ReadFile(cfg.HostsFile)
	if err != nil {
		return []leakRow{{check, "-", leakSkip, "HOSTS_FILE: " + err.Error()}}
	}
	hf, err := hostsfile.Parse(bytes.NewReader(data))
	if err != nil {
		return []leakRow{{check, "-", leakFail, "HOSTS_FILE " + cfg.HostsFile + ": " + err.Error()}}
	}
	if !hf.HasBlock() {
		return []leakRow{{check, "-", leakSkip, "no autovpn block in " + cfg.HostsFile + " (hosts mode not in use)"}}
	}
	have := map[string]*[2]bool{}
	for _, e := range hf.Entries() {
		if have[e.Name] == nil {
			have[e.Name] = &[2]bool{}
		}
		have[e.Name][famIndex(e.IP)] = true
	}
	var need [2]map[string]bool
	for _, e := range entries {
		if e.Domain == "" || strings.Contains(e.Domain, "*") {
			continue
		}
		f := famIndex(e.IP)
		if need[f] == nil {
			need[f] = map[string]bool{}
		}
		need[f][e.Domain] = true
	}
	var rows []leakRow
	for f, fam := range leakFamNames {
		var missing []string
		for d := range need[f] {
			if h := have[d]; h == nil || !h[f] {
				missing = append(missing, d)
			}
		}
		rows = append(rows, coverRow(check, fam, len(need[f]), sortedStrings(missing), "domains", "an "+famTitle(fam)+" line in the hosts block", "autovpn hosts apply"))
	}
	return rows
}

func wgCoverRows(cfg *config.Config, entries []domains.IPEntry) []leakRow {
	const check = "WireGuard covers the IP list"
	if cfg.WGConfPath == "" {
		return []leakRow{{check, "-", leakSkip, "WG_CONF_PATH is not set (WireGuard mode not in use)"}}
	}
	data, err := os.ReadFile(cfg.WGConfPath)
	if err != nil {
		return []leakRow{{check, "-", leakFail, "WG_CONF_PATH: " + err.Error()}}
	}
	c, err := wgconf.Parse(bytes.NewReader(data))
	var m wgconf.Managed
	if err == nil {
		m, err = c.Managed(append(append([]string{}, cfg.ServerHosts...), cfg.ServerHostsV6...))
	}
	if err != nil {
		return []leakRow{{check, "-", leakFail, "WG_CONF_PATH " + cfg.WGConfPath + ": " + err.Error()}}
	}
	var rows []leakRow
	for f, fam := range leakFamNames {
		seen := map[netip.Addr]bool{}
		var missing []string
		for _, e := range entries {
			if famIndex(e.IP) != f || seen[e.IP] {
				continue
			}
			seen[e.IP] = true
			if !prefixesContain(m.AllowedIPs, e.IP) {
				missing = append(missing, e.IP.String())
			}
		}
		bits := "/32"
		if f == 1 {
			bits = "/128"
		}
		rows = append(rows, coverRow(check, fam, len(seen), sortedStrings(missing), "addresses", "a route in AllowedIPs (as "+bits+")", "autovpn wg sync"))
	}
	return rows
}

func prefixesContain(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// coverRow judges one family: every one of total items must be covered.
func coverRow(check, fam string, total int, missing []string, what, where, fix string) leakRow {
	rr := famTitle(fam)
	switch {
	case total == 0:
		return leakRow{check, fam, leakSkip, "the IP list has no " + rr + " " + what}
	case len(missing) > 0:
		return leakRow{check, fam, leakLeak, fmt.Sprintf("%d of %d %s %s lack %s: %s (fix: `%s`)",
			len(missing), total, rr, what, where, strings.Join(firstN(missing, 3), ", "), fix)}
	}
	return leakRow{check, fam, leakPass, fmt.Sprintf("all %d %s %s have %s", total, rr, what, where)}
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
