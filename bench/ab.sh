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
#   KIND=latency N=3000 bench/ab.sh a b          # new-connection latency instead:
#       p50/p99 of connect + SOCKS5 + 1-byte echo, and the client's and the
#       server's user and system CPU µs per connection
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "$1") B=$(realpath "$2")
: "${STREAMS:=1}" "${ROUNDS:=4}" "${MODE:=ws}" "${BYTES:=1GiB}" "${ENV_A:=}" "${ENV_B:=}"
: "${KIND:=bulk}" "${N:=3000}"
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
utime() { awk '{print $14, $15}' /proc/"$1"/stat; } # user and system ticks
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
	if [ "$KIND" = latency ]; then
		"$TB" latency -target "$sink" -socks "$socks" -n 200 >/dev/null # warm-up
		local before after l
		before="$(utime "$c") $(utime "$s")"
		l=$("$TB" latency -target "$sink" -socks "$socks" -n "$N")
		after="$(utime "$c") $(utime "$s")"
		echo "$l $before $after" | awk -v l="$1" -v n="$N" '{
			split($3, p50, "="); split($5, p99, "=")
			printf "%s p50_us %s p99_us %s client_user_us %.0f client_sys_us %.0f server_user_us %.0f server_sys_us %.0f\n",
				l, p50[2], p99[2], ($12-$8)*1e4/n, ($13-$9)*1e4/n, ($14-$10)*1e4/n, ($15-$11)*1e4/n }'
		stop
		return
	fi
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
	if [ "$KIND" = latency ]; then
		echo "$x median: p50_us $(med $x 3) p99_us $(med $x 5) client_user_us $(med $x 7) client_sys_us $(med $x 9) server_user_us $(med $x 11) server_sys_us $(med $x 13)"
	else
		echo "$x median: ratio $(med $x 9) cpu_s_per_GiB $(med $x 11) ctxsw_per_GiB $(med $x 13)"
	fi
done
