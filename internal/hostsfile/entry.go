package hostsfile

import (
	"bufio"
	"bytes"
	"net/netip"
	"sort"
	"strings"
)

// Entry is one hosts line: an address and a name.
type Entry struct {
	IP   netip.Addr
	Name string
}

// Twins expands (IP, domain) pairs into hosts entries: each domain as bare
// name and "www." twin, for every address of either family, sorted by name
// then IPv4 before IPv6. Wildcards ("*.x") cannot be hosts entries and are
// skipped; zoned and invalid addresses too.
func Twins(pairs []Entry) []Entry {
	seen := map[Entry]bool{}
	var es []Entry
	for _, p := range pairs {
		name := strings.TrimSuffix(strings.ToLower(p.Name), ".")
		if name == "" || strings.Contains(name, "*") || !p.IP.IsValid() || p.IP.Zone() != "" {
			continue
		}
		bare := strings.TrimPrefix(name, "www.")
		for _, n := range []string{bare, "www." + bare} {
			e := Entry{IP: p.IP.Unmap(), Name: n}
			if !seen[e] {
				seen[e] = true
				es = append(es, e)
			}
		}
	}
	sort.Slice(es, func(i, j int) bool {
		bi, bj := strings.TrimPrefix(es[i].Name, "www."), strings.TrimPrefix(es[j].Name, "www.")
		if bi != bj {
			return bi < bj
		}
		if c := es[i].IP.Compare(es[j].IP); c != 0 { // IPv4 sorts before IPv6
			return c < 0
		}
		return es[i].Name < es[j].Name // bare before www.
	})
	return es
}

// RenderBlock renders a complete block, markers included, each line ending
// in eol. Entries are written as given (see Twins).
func RenderBlock(entries []Entry, eol string) []byte {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	w.WriteString(BeginMarker + eol)
	w.WriteString("# Managed by autovpn: `autovpn hosts apply` rewrites this block, `autovpn hosts clear` removes it." + eol)
	renderEntries(w, entries, eol)
	w.WriteString(EndMarker + eol)
	w.Flush()
	return buf.Bytes()
}
