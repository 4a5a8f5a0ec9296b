#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-emulate-robust.sh — `xscert emulate` (built with ASan/UBSan in CI) survives RFC 4475
# torture messages (from $XSCERT_SHARED/data/rfc4475, skipped when absent), the malformed
# messages in tests/data/emulator (the Cisco KB sample among them), a million random and
# mutated datagrams (XSCERT_ROBUST_MUTATIONS; the long soak is bench/emulate), 64 KiB
# datagrams and hundreds of stalled TCP connections, while a well-behaved client keeps
# getting answers; TCP streams it cannot frame are closed with the reason as an event;
# then it stops cleanly (exit 0: no sanitizer report) with its memory bounded.
set -uo pipefail
. "$XSCERT_SRCDIR/tests/data/emulator/lib.sh"

RFC4475="${XSCERT_SHARED:-}/data/rfc4475"
[ -d "$RFC4475" ] || { echo "RFC 4475 material absent: that part is skipped"; RFC4475=; }
export XSCERT_PASSWORD=$(emu_password)
emu_start --events "$EMU_TMP/events.jsonl" --fetch-timeout 500 || exit 1
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$EMU_PID/status"; }
rss0=$(rss)

fail=0
timeout 300 python3 "$XSCERT_SRCDIR/tests/data/emulator/robust.py" --port "$EMU_PORT" \
	--password "$XSCERT_PASSWORD" --data "$XSCERT_SRCDIR/tests/data/emulator" \
	--rfc4475 "$RFC4475" --mutations "${XSCERT_ROBUST_MUTATIONS:-1000000}" --stalled 300 || fail=1

kill -0 "$EMU_PID" 2>/dev/null || { echo "the emulator died"; fail=1; }
rss1=$(rss)
echo "emulator RSS: ${rss0} kB at start, ${rss1} kB after the run"
# bounded: the caps (nonce table, retransmission cache, connections) keep it well under
# 400 MB, and the growth under 64 MB (about 30 MB under ASan, for 100000 or 1000000
# datagrams alike: it does not grow with the count)
[ -n "$rss1" ] && [ "$rss1" -lt 400000 ] || { echo "memory not bounded"; fail=1; }
[ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 65536 ] ||
	{ echo "memory grew by more than 64 MB"; fail=1; }
echo "events: $(grep -c '"event":"message dropped"' "$EMU_TMP/events.jsonl") dropped," \
	"$(grep -c '"event":"auth rejected"' "$EMU_TMP/events.jsonl") rejected," \
	"$(grep -c '"event":"auth accepted"' "$EMU_TMP/events.jsonl") accepted"
# a TCP stream that cannot be framed is closed with its reason (tests/data/emulator/content-length-*)
for why in 'Content-Length over the cap (99999999 > 65535)' 'two different Content-Lengths (7 and 3)' \
	'Content-Length is not a number (\"-5\")'; do
	grep -F '"event":"message dropped","transport":"tcp"' "$EMU_TMP/events.jsonl" |
		grep -qF -- "\"reason\":\"$why\"" ||
		{ echo "no TCP \"message dropped\" event saying: $why"; fail=1; }
done
echo "TCP streams closed unframeable: $(grep -c '"event":"message dropped","transport":"tcp"' \
	"$EMU_TMP/events.jsonl")"
if grep -qF -- "$XSCERT_PASSWORD" "$EMU_TMP/events.jsonl" "$EMU_TMP/stderr"; then
	echo "the password appeared in the emulator's output"
	fail=1
fi
emu_stop || fail=1
exit $fail
