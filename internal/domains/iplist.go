package domains

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
)

// IPEntry is one line of the IP list: an address and the domain it was
// resolved for ("" for a bare address).
type IPEntry struct {
	IP     netip.Addr
	Domain string
}

// ParseIPList reads an IP list: "IP<TAB>domain" lines, both families, '#'
// comments. It also accepts what the older toolkit wrote: spaces or commas
// instead of a tab, "domain IP" reversed, bare IPs (Domain ""), hosts-style
// "IP name1 name2", single-address CIDRs ("/32", "/128"), CRLF endings and
// BOMs. It returns every valid entry and, joined, one *LineError per bad line.
func ParseIPList(r io.Reader) ([]IPEntry, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	var out []IPEntry
	var errs []error
	for i, line := range lines {
		content, _ := cutComment(line)
		if content == "" {
			continue
		}
		entries, err := parseIPLine(content)
		if err != nil {
			errs = append(errs, &LineError{Line: i + 1, Entry: content, Err: err})
			continue
		}
		out = append(out, entries...)
	}
	return out, errors.Join(errs...)
}

func parseIPLine(s string) ([]IPEntry, error) {
	fields := SplitEntries(s)
	var addr netip.Addr
	var names []string
	for _, f := range fields {
		a, err := parseIP(f)
		switch {
		case err == nil && !addr.IsValid():
			addr = a
		case err == nil:
			return nil, fmt.Errorf("more than one IP address (%s and %s)", addr, a)
		default:
			names = append(names, f)
		}
	}
	if !addr.IsValid() {
		return nil, errors.New("no IP address on the line")
	}
	if len(names) == 0 {
		return []IPEntry{{IP: addr}}, nil
	}
	out := make([]IPEntry, 0, len(names))
	for _, n := range names {
		d, err := Normalize(n)
		if err != nil {
			return nil, err
		}
		out = append(out, IPEntry{IP: addr, Domain: d})
	}
	return out, nil
}

// parseIP accepts an address, "[v6]" or a single-address prefix. Zones are
// refused: they mean nothing outside this host.
func parseIP(s string) (netip.Addr, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, err
		}
		if !p.IsSingleIP() {
			return netip.Addr{}, fmt.Errorf("%s is a network, not one address", p)
		}
		s = p.Addr().String()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s has a zone", a)
	}
	return a.Unmap(), nil
}

// ReadIPList reads the IP list at path; line errors name the file.
func ReadIPList(path string) ([]IPEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseIPListFile(path, data)
}

// ParseIPListFile parses data read from the IP list at path; line errors
// name the file.
func ParseIPListFile(path string, data []byte) ([]IPEntry, error) {
	entries, err := ParseIPList(bytes.NewReader(data))
	if err != nil {
		var errs []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		} else {
			return entries, fmt.Errorf("%s: %w", path, err)
		}
		withFile(errs, path)
		return entries, errors.Join(errs...)
	}
	return entries, nil
}

// SortIPEntries sorts entries by domain, then IPv4 before IPv6, then by
// address, and drops duplicates.
func SortIPEntries(entries []IPEntry) []IPEntry {
	out := append([]IPEntry(nil), entries...)
	sort.Slice(out, func(i, j int) bool { return ipEntryLess(out[i], out[j]) })
	dedup := out[:0]
	for i, e := range out {
		if i > 0 && e == out[i-1] {
			continue
		}
		dedup = append(dedup, e)
	}
	return dedup
}

func ipEntryLess(a, b IPEntry) bool {
	if a.Domain != b.Domain {
		return a.Domain < b.Domain
	}
	if a.IP.Is4() != b.IP.Is4() {
		return a.IP.Is4()
	}
	return a.IP.Less(b.IP)
}

// RenderIPList renders entries as "IP<TAB>domain" lines (a bare IP alone),
// sorted by domain then IPv4 before IPv6, de-duplicated, after header. Each
// header line becomes a "# " comment unless it already is one.
func RenderIPList(entries []IPEntry, header string) []byte {
	var b strings.Builder
	if header != "" {
		for _, h := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			if !strings.HasPrefix(h, "#") {
				h = strings.TrimRight("# "+h, " ")
			}
			b.WriteString(h + "\n")
		}
	}
	for _, e := range SortIPEntries(entries) {
		b.WriteString(e.IP.String())
		if e.Domain != "" {
			b.WriteString("\t" + e.Domain)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
