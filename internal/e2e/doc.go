// Package e2e holds the multi-host end-to-end tests of autovpn: the built
// binary runs as `autovpn server` and `autovpn client` in Linux network
// namespaces (internal/testbed) joined by veth links, with a destination
// namespace serving HTTP on both families and a dnsmasq holding A and AAAA
// records for the routed names.
//
// The tests prove the dual-stack path selection of DESIGN §6 rules 2–3
// (Happy Eyeballs to the server, memory of a broken family, healing,
// server pools, the "no IPv6 route at server" result, ENABLE_IPV6=false)
// and the no-leak rule 6: with the client holding direct IPv4 and IPv6
// routes to the destination, not one packet and not one DNS query for a
// routed name leaves the client outside the tunnel.
//
// The package has no non-test code. It needs root, iproute2, nftables,
// tcpdump and dnsmasq; without them every test skips (and fails when the
// environment variable CI is "true"). Run it with
//
//	go test ./internal/e2e/ -v
//
// The test binary builds cmd/autovpn itself; set AUTOVPN_E2E_BINARY to
// the path of a prebuilt autovpn to test that one instead.
package e2e
