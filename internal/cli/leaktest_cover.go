package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/wgconf"
	"github.com/autovpn/autovpn/internal/wire"
)

var leakFamNames = [2]string{"ipv4", "ipv6"}

func famIndex(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// leakServed is what the server answered for the routed names leak-test
// resolved: name → its A and AAAA addresses (unmapped). A name whose answer
// failed is absent; one the server answered without records maps to nil.
type leakServed map[string][]netip.Addr

// servedAddrs collects the server's answers for the names of set that
// DOMAINS_FILE routes; answers are in the order of set.names.
func servedAddrs(set leakSampleSet, answers []wire.NameAnswer) leakServed {
	served := leakServed{}
	for i, a := range answers {
		if i >= len(set.names) {
			break
		}
		name := set.names[i]
		if set.unlisted[name] || a.Code != netx.OK {
			continue
		}
		addrs := served[name]
		for _, r := range a.Records {
			if ip := r.IP.Unmap(); !slices.Contains(addrs, ip) {
				addrs = append(addrs, ip)
			}
		}
		served[name] = addrs
	}
	return served
}

// leakCoverageRows checks that the hosts block and the WireGuard config
// carry every address of the IP list, A and AAAA alike, and every address
// the server answered for a routed name (served): a routed name with an
// AAAA but no IPv6 hosts line makes the system ask DNS and connect
// directly over IPv6; an address outside AllowedIPs bypasses WireGuard. An
// IP list that lacks what the server answers is stale, and so are the hosts
// block and AllowedIPs written from it.
func leakCoverageRows(cfg *config.Config, served leakServed) []leakRow {
	entries, err := domains.ReadIPList(cfg.IPListFile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(served) == 0:
		d := "IP_LIST_FILE " + cfg.IPListFile + " does not exist; write it with `autovpn domains resolve`"
		return []leakRow{{"hosts covers the IP list", "-", leakSkip, d}, {"WireGuard covers the IP list", "-", leakSkip, d}}
	case errors.Is(err, fs.ErrNotExist):
		entries = nil // judge by the server's answers alone
	case err != nil:
		d := "IP_LIST_FILE: " + err.Error()
		return []leakRow{{"hosts covers the IP list", "-", leakFail, d}, {"WireGuard covers the IP list", "-", leakFail, d}}
	}
	inList := map[netip.Addr]bool{}
	for _, e := range entries {
		inList[e.IP.Unmap()] = true
	}
	return append(hostsCoverRows(cfg, entries, served, inList), wgCoverRows(cfg, entries, served, inList)...)
}

// unlisted returns the addresses of family f among addrs that the IP list
// lacks.
func unlisted(addrs []netip.Addr, f int, inList map[netip.Addr]bool) []string {
	var out []string
	for _, a := range addrs {
		if famIndex(a) == f && !inList[a] {
			out = append(out, a.String())
		}
	}
	return out
}

func hostsCoverRows(cfg *config.Config, entries []domains.IPEntry, served leakServed, inList map[netip.Addr]bool) []leakRow {
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
	addNeed := func(f int, d string) {
		if need[f] == nil {
			need[f] = map[string]bool{}
		}
		need[f][d] = true
	}
	for _, e := range entries {
		if e.Domain == "" || strings.Contains(e.Domain, "*") {
			continue
		}
		addNeed(famIndex(e.IP), e.Domain)
	}
	for name, addrs := range served {
		for _, a := range addrs {
			addNeed(famIndex(a), name)
		}
	}
	var rows []leakRow
	for f, fam := range leakFamNames {
		var missing []string
		stale := false
		for d := range need[f] {
			if h := have[d]; h != nil && h[f] {
				continue
			}
			if extra := unlisted(served[d], f, inList); len(extra) > 0 {
				stale = true
				d += " (the server answers " + strings.Join(extra, ", ") + ", not in the IP list)"
			}
			missing = append(missing, d)
		}
		fix := "`autovpn hosts apply`"
		if stale {
			fix = "`autovpn domains resolve`, then `autovpn hosts apply`"
		}
		rows = append(rows, coverRow(coverSpec{check, "domains", "an " + famTitle(fam) + " line in the hosts block " + cfg.HostsFile, fix},
			fam, len(need[f]), sortedStrings(missing), len(served)))
	}
	return rows
}

func wgCoverRows(cfg *config.Config, entries []domains.IPEntry, served leakServed, inList map[netip.Addr]bool) []leakRow {
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
	// servedBy names, for an address the IP list lacks, the routed names
	// the server answered it for.
	servedBy := map[netip.Addr][]string{}
	for _, name := range slices.Sorted(maps.Keys(served)) {
		for _, a := range served[name] {
			if !inList[a] {
				servedBy[a] = append(servedBy[a], name)
			}
		}
	}
	var rows []leakRow
	for f, fam := range leakFamNames {
		seen := map[netip.Addr]bool{}
		var missing []string
		stale := false
		judge := func(a netip.Addr) {
			a = a.Unmap()
			if famIndex(a) != f || seen[a] {
				return
			}
			seen[a] = true
			if prefixesContain(m.AllowedIPs, a) {
				return
			}
			item := a.String()
			if names := servedBy[a]; len(names) > 0 {
				stale = true
				item += " (the server's answer for " + strings.Join(names, ", ") + ", not in the IP list)"
			}
			missing = append(missing, item)
		}
		for _, e := range entries {
			judge(e.IP)
		}
		for _, name := range slices.Sorted(maps.Keys(served)) {
			for _, a := range served[name] {
				judge(a)
			}
		}
		bits := "/32"
		if f == 1 {
			bits = "/128"
		}
		fix := "`autovpn wg sync`"
		if stale {
			fix = "`autovpn domains resolve`, then `autovpn wg sync`"
		}
		rows = append(rows, coverRow(coverSpec{check, "addresses", "a route in AllowedIPs of " + cfg.WGConfPath + " (as " + bits + ")", fix},
			fam, len(seen), sortedStrings(missing), len(served)))
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

// coverSpec names one coverage check: what items it counts, where each
// must appear, and the commands that fix a miss.
type coverSpec struct {
	check, what, where, fix string
}

// coverRow judges one family: every one of total items (from the IP list
// and from the server's answers for the tested names) must be covered.
func coverRow(s coverSpec, fam string, total int, missing []string, tested int) leakRow {
	rr := famTitle(fam)
	switch {
	case total == 0:
		d := "the IP list has no " + rr + " " + s.what
		if tested > 0 {
			rec := "A"
			if fam == "ipv6" {
				rec = "AAAA"
			}
			d += fmt.Sprintf(" and the server answered no %s for the %d routed names tested", rec, tested)
		}
		return leakRow{s.check, fam, leakSkip, d}
	case len(missing) > 0:
		return leakRow{s.check, fam, leakLeak, fmt.Sprintf("%d of %d %s %s lack %s: %s (fix: %s)",
			len(missing), total, rr, s.what, s.where, strings.Join(firstN(missing, 3), "; "), s.fix)}
	}
	return leakRow{s.check, fam, leakPass, fmt.Sprintf("all %d %s %s have %s", total, rr, s.what, s.where)}
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
