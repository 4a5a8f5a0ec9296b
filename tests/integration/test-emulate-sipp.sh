#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-emulate-sipp.sh — SIPp as the controller against `xscert emulate`: every
# NOTIFY/401/NOTIFY+digest/200 call succeeds with the right password (UDP and TCP),
# none with a wrong one. Counts come from SIPp's exit status and its statistics file.
set -uo pipefail
. "$XSCERT_SRCDIR/tests/data/emulator/lib.sh"
command -v sipp >/dev/null || { echo "sipp not installed: skip"; exit 77; }

SCEN="$XSCERT_SRCDIR/tests/data/sipp/notify-auth-uac.xml"
CALLS=40
export XSCERT_PASSWORD=$(emu_password)
emu_start --quirk no-fetch --events "$EMU_TMP/events.jsonl" || exit 1

# run_sipp TRANSPORT PASSWORD TAG: prints "rc successful failed"
run_sipp() {
	local stat="$EMU_TMP/stat-$3.csv"
	timeout 90 sipp "127.0.0.1:$EMU_PORT" -sf "$SCEN" -au 159 -ap "$2" \
		-m "$CALLS" -r 50 -i 127.0.0.1 -p "$(free_port)" -t "$1" -nostdin \
		-timeout 60 -recv_timeout 5000 -trace_stat -stf "$stat" >/dev/null 2>&1
	local rc=$?
	python3 - "$stat" "$rc" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
print(sys.argv[2], last[h.index("SuccessfulCall(C)")], last[h.index("FailedCall(C)")])
PY
}

fail=0
for tp in u1 t1; do
	read -r rc ok bad < <(run_sipp "$tp" "$XSCERT_PASSWORD" "good-$tp")
	echo "sipp $tp right password: exit $rc, $ok successful, $bad failed"
	[ "$rc" = 0 ] && [ "$ok" = "$CALLS" ] && [ "$bad" = 0 ] || fail=1
	read -r rc ok bad < <(run_sipp "$tp" "not-$XSCERT_PASSWORD" "bad-$tp")
	echo "sipp $tp wrong password: exit $rc, $ok successful, $bad failed"
	[ "$rc" != 0 ] && [ "$ok" = 0 ] && [ "$bad" = "$CALLS" ] || fail=1
done

accepted=$(grep -c '"event":"auth accepted"' "$EMU_TMP/events.jsonl")
rejected=$(grep -c '"reason":"wrong password"' "$EMU_TMP/events.jsonl")
echo "emulator events: $accepted accepted, $rejected rejected as wrong password"
[ "$accepted" = $((2 * CALLS)) ] || fail=1
[ "$rejected" -ge $((2 * CALLS)) ] || fail=1
if grep -qF -- "$XSCERT_PASSWORD" "$EMU_TMP/events.jsonl" "$EMU_TMP/stderr"; then
	echo "the password appeared in the emulator's output"
	fail=1
fi
emu_stop || fail=1
exit $fail
