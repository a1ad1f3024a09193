// Package dns is autovpn's stub resolver, shared by the server, the client
// and the CLI. It asks for A and AAAA in parallel, follows CNAME chains and
// talks to its upstreams over UDP (TCP when an answer is truncated), DNS over
// TLS and DNS over HTTPS. Answers are cached by TTL, failures are cached
// briefly, identical concurrent queries share one upstream query, and the
// last good answer is served, marked stale, when every upstream fails.
package dns
