# SPDX-License-Identifier: MIT
# lib.sh — shared by tests/integration/test-emulate-*.sh and bench/emulate: start
# `xscert emulate` on loopback ephemeral ports, read where it listens, stop it.
# Source it; it installs an EXIT trap that stops everything it started.

: "${XSCERT:?XSCERT must name the built xscert}"
EMU_PID=
EMU_PORT=
EMU_TMP=$(mktemp -d /tmp/xscert-emu.XXXXXX)
EMU_EXTRA_PIDS=()

emu_cleanup() {
	local p
	for p in "${EMU_EXTRA_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
		kill -TERM "$EMU_PID" 2>/dev/null
		wait "$EMU_PID" 2>/dev/null
	fi
	rm -rf "$EMU_TMP"
}
trap emu_cleanup EXIT

# A port free for both UDP and TCP on 127.0.0.1 (for peers that cannot take port 0).
free_port() {
	python3 - <<'PY'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
PY
}

# emu_start [xscert emulate options...]: password from XSCERT_PASSWORD; sets EMU_PORT.
emu_start() {
	# a small ASan quarantine, so its RSS says something about the emulator's own memory
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$XSCERT_SRCDIR/tests/data/emulator/lsan.supp" \
		"$XSCERT" emulate --listen 127.0.0.1:0 "$@" 2>"$EMU_TMP/stderr" &
	EMU_PID=$!
	local i
	for i in $(seq 1 100); do
		if head -1 "$EMU_TMP/stderr" 2>/dev/null | grep -q '^listening '; then
			EMU_PORT=$(head -1 "$EMU_TMP/stderr" | sed -nE 's/.* udp:127\.0\.0\.1:([0-9]+).*/\1/p')
			[ -z "$EMU_PORT" ] && EMU_PORT=$(head -1 "$EMU_TMP/stderr" | sed -nE 's/.* tcp:127\.0\.0\.1:([0-9]+).*/\1/p')
			return 0
		fi
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "emulator did not start:" >&2
	cat "$EMU_TMP/stderr" >&2
	return 1
}

# emu_stop: SIGTERM, then the exit status must be 0 (ASan/UBSan reports make it non-zero).
emu_stop() {
	[ -n "$EMU_PID" ] || return 0
	kill -TERM "$EMU_PID"
	local rc=0
	wait "$EMU_PID" || rc=$?
	EMU_PID=
	if [ "$rc" -ne 0 ]; then
		echo "emulator exited $rc:" >&2
		tail -30 "$EMU_TMP/stderr" >&2
	fi
	return "$rc"
}

# Random test password: never a real secret, never printed.
emu_password() {
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'
}
