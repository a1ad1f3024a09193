#!/usr/bin/env bash
# What this machine allows for new-connection latency and CPU per GiB, measured
# side by side with autovpn: tunbench's connect + SOCKS5 + 1-byte echo (or a
# bulk download) through
#   direct        no proxy at all
#   socks1        a one-hop SOCKS5 proxy, no tunnel (bench/floor socks, Go)
#   microsocks    the same in C (Debian's microsocks), when installed
#   floor2        the smallest program with autovpn's hop count: SOCKS5 entry,
#                 a warm pool of TCP connections to a second process that dials
#                 (bench/floor front + back)
#   floor2-tls    floor2 with crypto/tls between the two (KIND=cpu only: its
#                 pool makes a TLS handshake for every connection, where a
#                 tunnel has one)
#   autovpn-ws    autovpn client + server, ws
#   autovpn-wss   autovpn client + server, wss
# All run at once on one sink and are measured in turn, ROUNDS times, so a drift
# of the machine's speed hits all alike; prints each pass and the medians.
#
#   bench/floor.sh                       # latency, 3 rounds of N=2000, IPv4
#   FAMILY=6 ROUNDS=5 N=3000 bench/floor.sh
#   KIND=cpu bench/floor.sh              # BYTES (1GiB) downloaded: ratio to direct
#                                        # and CPU s/GiB of the proxy's processes
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KIND:=latency}" "${ROUNDS:=3}" "${N:=2000}" "${BYTES:=1GiB}" "${FAMILY:=4}"
: "${TUNBENCH_SRC:=../shared/tunbench}"
mkdir -p bin
go build -o bin/autovpn ./cmd/autovpn
go build -o bin/floor ./bench/floor
(cd "$TUNBENCH_SRC" && go build -o "$OLDPWD/bin/tunbench" .)
TB=$PWD/bin/tunbench FL=$PWD/bin/floor AV=$PWD/bin/autovpn
if [ "$FAMILY" = 6 ]; then HOST=::1 BHOST='[::1]'; else HOST=127.0.0.1 BHOST=127.0.0.1; fi
W=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
free() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
up() { # up PORT: wait until something listens on HOST:PORT
	for _ in $(seq 200); do
		python3 -c "import socket,sys;socket.create_connection(('$HOST',$1),1)" 2>/dev/null && return
		sleep 0.05
	done
	echo "nothing listens on $BHOST:$1" >&2
	exit 1
}
start() { # start VAR CMD...: run CMD with GOMAXPROCS=1 (as autovpn runs), its pid in VAR
	GOMAXPROCS=1 "${@:2}" >>"$W/log" 2>&1 &
	pids+=($!)
	printf -v "$1" %s $!
}
declare -A addr procs
SINK=$(free)
start sink "$TB" sink -listen "$BHOST:$SINK"
up "$SINK"

p=$(free)
start a "$FL" socks -listen "$BHOST:$p"
addr[socks1]=$BHOST:$p procs[socks1]=$a
if command -v microsocks >/dev/null; then
	p=$(free)
	start a microsocks -i "$HOST" -p "$p"
	addr[microsocks]=$BHOST:$p procs[microsocks]=$a
fi
for t in "" -tls; do
	b=$(free) p=$(free)
	start a "$FL" back $t -listen "$BHOST:$b"
	up "$b"
	start f "$FL" front $t -listen "$BHOST:$p" -next "$BHOST:$b"
	addr[floor2$t]=$BHOST:$p procs[floor2$t]="$f $a"
done
for mode in ws wss; do
	mkdir -p "$W/$mode"
	export HOST BHOST WORKDIR=$W/$mode TUN_PORT SOCKS_PORT
	TUN_PORT=$(free) SOCKS_PORT=$(free)
	sh "$TUNBENCH_SRC/peers/autovpn-render.sh" "$mode"
	"$AV" --config "$W/$mode/s.env" server >>"$W/log" 2>&1 &
	s=$!
	pids+=($s)
	up "$TUN_PORT"
	"$AV" --config "$W/$mode/c.env" client >>"$W/log" 2>&1 &
	pids+=($!)
	addr[autovpn-$mode]=$BHOST:$SOCKS_PORT procs[autovpn-$mode]="$! $s"
done
for name in "${!addr[@]}"; do up "${addr[$name]##*:}"; done
names="direct socks1 ${addr[microsocks]:+microsocks} floor2 autovpn-ws autovpn-wss"
[ "$KIND" = latency ] || names="socks1 ${addr[microsocks]:+microsocks} floor2 floor2-tls autovpn-ws autovpn-wss"

cpu() { awk '{s+=$14+$15} END{print s}' $(for p in "$@"; do echo "/proc/$p/stat"; done); }
socks() { [ "$1" = direct ] || echo "-socks ${addr[$1]}"; }
out=$W/runs
for name in $names; do # warm-up: pools filled, first TLS handshakes done
	"$TB" latency -target "$BHOST:$SINK" $(socks "$name") -n 100 >/dev/null
done
for r in $(seq "$ROUNDS"); do
	for name in $names; do
		if [ "$KIND" = latency ]; then
			l=$("$TB" latency -target "$BHOST:$SINK" $(socks "$name") -n "$N")
			case $l in *" errors=0 "*) ;; *) echo "$name: $l" >&2; exit 1 ;; esac
			echo "$l" | awk -v n="$name" -v r="$r" '{split($3, a, "="); split($5, b, "=");
				printf "round %d %-12s p50_us %7.1f p99_us %7.1f\n", r, n, a[2], b[2]}' | tee -a "$out"
			continue
		fi
		d=$("$TB" bulk -target "$BHOST:$SINK" -bytes "$BYTES" | sed 's/.*MB\/s=\([0-9.]*\).*/\1/')
		c0=$(cpu ${procs[$name]})
		t=$("$TB" bulk -target "$BHOST:$SINK" $(socks "$name") -bytes "$BYTES")
		c1=$(cpu ${procs[$name]})
		echo "$t" | awk -v n="$name" -v r="$r" -v d="$d" -v cpu=$((c1 - c0)) '{
			split($1, b, "="); split($4, m, "="); gib = b[2] / 2^30
			printf "round %d %-12s ratio %.3f cpu_s_per_GiB %.2f\n", r, n, m[2] / d, cpu / 100 / gib }' | tee -a "$out"
	done
done
med() { grep " $1 " "$out" | awk -v f="$2" '{print $f}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "medians of $ROUNDS rounds, IPv$FAMILY ($KIND):"
for name in $names; do
	if [ "$KIND" = latency ]; then
		printf '%-12s p50_us %s p99_us %s\n' "$name" "$(med "$name" 5)" "$(med "$name" 7)"
	else
		printf '%-12s ratio %s cpu_s_per_GiB %s\n' "$name" "$(med "$name" 5)" "$(med "$name" 7)"
	fi
done
