// Package domains parses, normalises and renders autovpn's two route files:
// the domain list (one domain a line, "*.example.com" wildcards, # comments)
// and the IP list ("IP<TAB>domain" lines, both families). It also reads the
// older toolkit's files and writes lists atomically, keeping a .bak copy.
package domains
