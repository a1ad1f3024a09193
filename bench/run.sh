#!/usr/bin/env bash
# Loopback benchmark of autovpn against direct TCP in the same run, with the
# shared tunbench harness (../shared/tunbench): 1- and 8-stream throughput
# (download and upload), CPU seconds per GiB, new-connection latency
# (connect + SOCKS5 + 1-byte echo) and RSS with N idle tunnelled connections,
# for ws, wss and dual-stack (IPv6 on, both server addresses), on 127.0.0.1
# and ::1. Prints the markdown report; raw JSON lines go to $OUT.
#
#   bench/run.sh                      # defaults below
#   REPS=5 BYTES=3GiB IDLE=10000 CONFIGS="autovpn-ws" bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TUNBENCH_SRC:=../shared/tunbench}" "${REPS:=3}" "${BYTES:=2GiB}" "${IDLE:=10000}" "${LAT:=2000}"
: "${CONFIGS:=autovpn-ws autovpn-wss autovpn-dual}" "${FAMILIES:=4 6}"
: "${OUT:=bench/results/$(date +%Y%m%d-%H%M%S).jsonl}"
mkdir -p bench/results bin
[ -n "${NOBUILD:-}" ] || go build -o bin/autovpn ./cmd/autovpn
(cd "$TUNBENCH_SRC" && go build -o "$OLDPWD/bin/tunbench" .)
ulimit -n "$(ulimit -Hn)" || true
export TUNBENCH="$PWD/bin/tunbench" AUTOVPN="$PWD/bin/autovpn" OUT FAMILIES
export ARGS="-reps $REPS -bytes $BYTES -upload -idle-n $IDLE -lat-n $LAT"
echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores; ARGS=$ARGS" >&2
bash "$TUNBENCH_SRC/peers/run-suite.sh" $CONFIGS
"$TUNBENCH" report "$OUT"
