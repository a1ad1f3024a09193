#!/bin/sh
# DNS benchmarks against a local dnsmasq (Debian dnsmasq-base): cached lookup
# cost, and 10,000 names (A + AAAA) resolved directly, then with 5% of DNS
# packets dropped each way by nftables (needs root).
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'CachedLookup' -benchtime 2s ./internal/dns/
go test -run '^$' -bench 'Resolve10k' -benchtime 3x ./internal/dns/
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
	AUTOVPN_BENCH_DROP_PERCENT=5 go test -run '^$' -bench 'Resolve10k' -benchtime 2x ./internal/dns/
else
	echo "skipping the 5% loss run: needs root and nft" >&2
fi
