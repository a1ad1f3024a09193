#!/usr/bin/env bash
# A/B comparison of two autovpn binaries on loopback, alternating runs so a
# drift of the machine's speed hits both alike. Each run starts a fresh
# server and client (configs rendered by tunbench's peers/autovpn-render.sh),
# moves BYTES through SOCKS5 with tunbench's load generator after a direct
# run on the same sink, and reads the server's and client's CPU time and
# context switches from /proc. Prints one line per run and the medians.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY            # 1 stream, 4 rounds, ws
#   STREAMS=8 ROUNDS=3 MODE=wss bench/ab.sh a b  # MODE: ws, wss or dual
#   ENV_B="GOMAXPROCS=2" bench/ab.sh bin/autovpn bin/autovpn
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "$1") B=$(realpath "$2")
: "${STREAMS:=1}" "${ROUNDS:=4}" "${MODE:=ws}" "${BYTES:=1GiB}" "${ENV_A:=}" "${ENV_B:=}"
: "${TUNBENCH_SRC:=../shared/tunbench}"
mkdir -p bin
(cd "$TUNBENCH_SRC" && go build -o "$OLDPWD/bin/tunbench" .)
TB=$PWD/bin/tunbench
W=$(mktemp -d)
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap 'stop; rm -rf "$W"' EXIT
free() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; echo "port $1 not up" >&2; exit 1; }
cpu() { awk '{s+=$14+$15} END{print s}' /proc/"$1"/stat /proc/"$2"/stat; }
ctx() { cat /proc/"$1"/task/*/status /proc/"$2"/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}'; }

run() { # run LABEL BINARY ENV
	export HOST=127.0.0.1 BHOST=127.0.0.1 WORKDIR=$W TUN_PORT SOCKS_PORT SINK_PORT
	TUN_PORT=$(free) SOCKS_PORT=$(free) SINK_PORT=$(free)
	sh "$TUNBENCH_SRC/peers/autovpn-render.sh" "$MODE"
	"$TB" sink -listen "127.0.0.1:$SINK_PORT" >/dev/null 2>&1 &
	pids+=($!)
	env $3 "$2" --config "$W/s.env" server >"$W/s.log" 2>&1 &
	local s=$!
	pids+=($s)
	waitport "$TUN_PORT"
	env $3 "$2" --config "$W/c.env" client >"$W/c.log" 2>&1 &
	local c=$!
	pids+=($c)
	waitport "$SOCKS_PORT"
	waitport "$SINK_PORT"
	local sink=127.0.0.1:$SINK_PORT socks=127.0.0.1:$SOCKS_PORT
	"$TB" bulk -target "$sink" -socks "$socks" -bytes 256MiB >/dev/null # warm-up
	local d t c0 c1 x0 x1
	d=$("$TB" bulk -target "$sink" -bytes "$BYTES" -streams "$STREAMS" | sed 's/.*MB\/s=\([0-9.]*\).*/\1/')
	c0=$(cpu "$s" "$c") x0=$(ctx "$s" "$c")
	t=$("$TB" bulk -target "$sink" -socks "$socks" -bytes "$BYTES" -streams "$STREAMS")
	c1=$(cpu "$s" "$c") x1=$(ctx "$s" "$c")
	echo "$t" | awk -v l="$1" -v d="$d" -v cpu=$((c1 - c0)) -v cs=$((x1 - x0)) '{
		split($1, b, "="); split($4, m, "="); gib = b[2] / 2^30
		printf "%s direct %.0f MB/s tunnel %.0f MB/s ratio %.3f cpu_s_per_GiB %.2f ctxsw_per_GiB %d\n", l, d, m[2], m[2] / d, cpu / 100 / gib, cs / gib }'
	stop
}

out=$W/runs
for _ in $(seq "$ROUNDS"); do
	run A "$A" "$ENV_A" | tee -a "$out"
	run B "$B" "$ENV_B" | tee -a "$out"
done
med() { grep "^$1 " "$out" | awk -v f="$2" '{print $f}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for x in A B; do
	echo "$x median: ratio $(med $x 9) cpu_s_per_GiB $(med $x 11) ctxsw_per_GiB $(med $x 13)"
done
