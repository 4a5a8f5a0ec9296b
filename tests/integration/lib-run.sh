# SPDX-License-Identifier: MIT
# lib-run.sh — helpers the test-run-*.sh integration tests source: temp dir,
# an emulator on an ephemeral loopback port, cleanup on every exit path.
set -uo pipefail
: "${XSCERT:?XSCERT must name the built xscert}"
T=$(mktemp -d /tmp/xscert-test-run.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_emulator NAME ARGS...: starts `xscert emulate` with a password file
# $T/NAME.pw, sets EMU_PORT (UDP), EMU_TCP_PORT and EMU_PID.
start_emulator() {
	local name=$1; shift
	openssl rand -hex 12 > "$T/$name.pw"
	mkfifo "$T/$name.fifo"
	"$XSCERT" emulate --listen "${EMU_LISTEN:-127.0.0.1:0}" --password-file "$T/$name.pw" "$@" \
		2> "$T/$name.fifo" &
	EMU_PID=$!
	PIDS+=("$EMU_PID")
	exec {fd}<"$T/$name.fifo"
	local line
	IFS= read -r -t 10 line <&$fd || fail "emulator $name did not start"
	# keep draining its stderr into a log
	cat <&$fd > "$T/$name.log" &
	PIDS+=("$!")
	exec {fd}<&-
	EMU_PORT=$(sed -n 's/.*udp:[^ ]*:\([0-9]*\) .*/\1/p' <<<"$line")
	EMU_TCP_PORT=$(sed -n 's/.* tcp:.*:\([0-9]*\) profile.*/\1/p' <<<"$line")
	[ -n "$EMU_PORT" ] || fail "cannot read the port from: $line"
}

# failing_rules DIR: the rule ids with a fail or error in DIR/result.json, sorted, one line.
failing_rules() {
	jq -r '[.summary.rules | to_entries[] | select(.value.fail + .value.error > 0) | .key] | sort | join(" ")' \
		"$1/result.json"
}
