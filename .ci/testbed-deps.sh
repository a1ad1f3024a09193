#!/bin/sh
# Installs what internal/testbed needs (network-namespace tests), only when
# something is missing, so running it twice costs nothing. Needs root.
set -eu

# command  Debian package
need="
ip       iproute2
nft      nftables
iptables iptables
tcpdump  tcpdump
dnsmasq  dnsmasq-base
dig      dnsutils
curl     curl
ping     iputils-ping
"

missing=$(echo "$need" | while read -r cmd pkg; do
	[ -n "$cmd" ] || continue
	command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || echo "$pkg"
done | tr '\n' ' ')

if [ -z "${missing% }" ]; then
	echo "testbed-deps: all present"
	exit 0
fi
echo "testbed-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # one word per package
apt-get install -y --no-install-recommends $missing
