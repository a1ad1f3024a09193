package testbed

import "strings"

// Query is one query from the dnsmasq log.
type Query struct {
	Type string // "A", "AAAA", ...
	Name string // as asked, without the final dot ("." for the root)
	From string // client address, without the port
}

// ParseQueryLog extracts the queries from dnsmasq --log-queries output:
// lines such as "Nov 24 12:00:00 dnsmasq[42]: query[AAAA] a.test from ::1".
// Lines it does not recognise are skipped.
func ParseQueryLog(log string) []Query {
	var out []Query
	for _, line := range strings.Split(log, "\n") {
		_, rest, ok := strings.Cut(line, " query[")
		if !ok {
			continue
		}
		typ, rest, ok := strings.Cut(rest, "] ")
		if !ok || typ == "" || strings.ContainsAny(typ, " ]") {
			continue
		}
		name, from, ok := strings.Cut(rest, " from ")
		if !ok || name == "" || strings.Contains(name, " ") {
			continue
		}
		if name != "." {
			name = strings.TrimSuffix(name, ".")
		}
		out = append(out, Query{Type: typ, Name: name, From: strings.TrimSpace(from)})
	}
	return out
}
