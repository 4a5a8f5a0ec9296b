#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-run.sh — complete authenticated exchanges per second (NOTIFY, 401,
# NOTIFY with digest, 200), one at a time, xscert run vs SIPp as the controller
# with [authentication], against the same two UASes: SIPp's UAS scenario with
# verifyauth, and the xscert emulator. Prints a table. Loopback only.
# Usage: bench/run/bench-run.sh [EXCHANGES]   (default 3000)
set -euo pipefail
N=${1:-3000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${XSCERT_BENCH_BUILD:-/tmp/xscert-bench-build}
if [ ! -f "$B/build.ninja" ]; then
	CC=${CC:-gcc} meson setup "$B" "$SRC" -Dbuildtype=release -Dtests=disabled >/dev/null
fi
ninja -C "$B" harness/cli/xscert >/dev/null
X="$B/harness/cli/xscert"
T=$(mktemp -d /tmp/xscert-bench-run.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
free_port() {
	python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
openssl rand -hex 10 > "$T/pw"
PW=$(cat "$T/pw")

# UAS 1: SIPp with verifyauth
sport=$(free_port)
sed "s/@USER@/159/; s/@PASSWORD@/$PW/" "$SRC/tests/data/sipp-uas/uas-digest.xml" > "$T/uas.xml"
sipp -sf "$T/uas.xml" -i 127.0.0.1 -p "$sport" -bg -nostdin > "$T/sipp-uas.out" 2>&1 || true # -bg exits non-zero
PIDS+=("$(sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$T/sipp-uas.out")")

# UAS 2: the emulator
mkfifo "$T/emu.fifo"
"$X" emulate --listen 127.0.0.1:0 --password-file "$T/pw" 2> "$T/emu.fifo" &
PIDS+=("$!")
exec 3<"$T/emu.fifo"
IFS= read -r -t 10 line <&3
cat <&3 > /dev/null &
PIDS+=("$!")
eport=$(sed -n 's/.*udp:.*:\([0-9]*\) tcp:.*/\1/p' <<<"$line")
sleep 0.3

xscert_rate() { # port
	"$X" run -q --target "127.0.0.1:$1" --password-file "$T/pw" --repeat "$N" -f json \
		--report-dir "$T/r" "$SRC/bench/run/auth.yaml" |
		sed -n 's/.*load: \([0-9]*\) exchanges, \([0-9]*\) authenticated 2xx, in \([0-9.]*\) s: \([0-9.]*\).*/\2 \3 \4/p'
}
sipp_rate() { # port
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	sipp -sf "$SRC/bench/run/uac-auth.xml" -s 159 -au 159 -ap "$PW" -m "$N" -l 1 -r 100000 \
		-rp 1000 -i 127.0.0.1 -nostdin "127.0.0.1:$1" > /dev/null 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local ok=$N
	[ $rc -eq 0 ] || ok="$N(rc=$rc)"
	awk -v ok="$ok" -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f %.1f\n", ok, b - a, n / (b - a) }'
}

printf '%-22s %-16s %10s %9s %12s\n' controller UAS exchanges seconds "auth ex/s"
for uas in sipp-uas emulator; do
	port=$([ $uas = sipp-uas ] && echo "$sport" || echo "$eport")
	read -r ok s r <<<"$(xscert_rate "$port")"
	printf '%-22s %-16s %10s %9s %12s\n' "xscert run" "$uas" "$ok" "$s" "$r"
	read -r ok s r <<<"$(sipp_rate "$port")"
	printf '%-22s %-16s %10s %9s %12s\n' "sipp [authentication]" "$uas" "$ok" "$s" "$r"
done
echo "($N sequential exchanges each, one outstanding at a time; xscert: time of its scenario loop, rules XS-AUTH-01 and the pcap included; SIPp: wall time)"
