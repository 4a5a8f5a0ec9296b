#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-fuzz-phone.sh — `xscert fuzz` gets past the 401, finds the emulator's hang-on quirk, and --replay reproduces it.
#
# The emulator runs with --quirk 'hang-on:<!ENTITY' (it stops answering after
# an authenticated NOTIFY whose body holds that text, which the fuzzer's
# xml-entity body mutation produces). Checks: same seed -> same cases; the
# fuzzer stops at a case carrying the text and saves it with the cases before
# it; replaying them against a fresh emulator hangs it again; a sound emulator
# survives a run over TCP; the password is written nowhere; bad usage exits 2.
set -uo pipefail
: "${XSCERT:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/xscert-test-fuzz.XXXXXX")
emu_pid=
stop_emu() {
  if [ -n "$emu_pid" ]; then
    kill "$emu_pid" 2>/dev/null
    wait "$emu_pid" 2>/dev/null
  fi
  emu_pid=
}
trap 'stop_emu; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

secret='fz-Secret-42'
printf '%s\n' "$secret" > "$work/pw"

# start_emu [QUIRK...]: an emulator on an ephemeral port; sets $port.
start_emu() {
  local args=() q
  for q in "$@"; do args+=(--quirk "$q"); done
  : > "$work/emu.err"
  "$XSCERT" emulate --listen 127.0.0.1:0 --user 159 --password-file "$work/pw" \
    "${args[@]}" 2> "$work/emu.err" &
  emu_pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*udp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/emu.err" | head -1)
    [ -n "$port" ] && return 0
    kill -0 "$emu_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/emu.err" >&2
  fail "the emulator did not start"
}

# 1. same seed, same cases; another seed, other cases (no traffic)
"$XSCERT" fuzz --dump "$work/d1" --user 159 --seed 7 --cases 50 >/dev/null || fail "dump 1"
"$XSCERT" fuzz --dump "$work/d2" --user 159 --seed 7 --cases 50 >/dev/null || fail "dump 2"
"$XSCERT" fuzz --dump "$work/d3" --user 159 --seed 8 --cases 50 >/dev/null || fail "dump 3"
diff -r "$work/d1" "$work/d2" >/dev/null || fail "the same seed gave different cases"
diff -r "$work/d1" "$work/d3" >/dev/null && fail "two seeds gave the same cases"
[ "$(ls "$work/d1"/case-*.retry.sip | wc -l)" -ge 45 ] || fail "too few cases dumped"

# 2. the fuzzer finds the quirk
start_emu 'hang-on:<!ENTITY'
"$XSCERT" fuzz --target "127.0.0.1:$port" --user 159 --password-file "$work/pw" \
  --cases 300 --seed 1 --timeout 1000 --out "$work/found" -q > "$work/fuzz.out" 2>&1
rc=$?
cat "$work/fuzz.out"
[ $rc -eq 1 ] || fail "fuzz exit $rc, expected 1 (phone stopped answering)"
grep -q 'accepted after auth' "$work/fuzz.out" || fail "no case got past the 401"
[ -f "$work/found/manifest" ] || fail "no manifest saved"
last=$(sed -n 's/^case \([0-9]*\) .*/\1/p' "$work/found/manifest" | tail -1)
[ -n "$last" ] || fail "the manifest names no case"
grep -q '<!ENTITY' "$work/found/case-$last.sip" || fail "the last saved case lacks the trigger"
grep -q '^Authorization: Digest' "$work/found/case-$last.sent.sip" ||
  fail "the last case was not sent with credentials"
[ "$(sed -n 's/^case //p' "$work/found/manifest" | wc -l)" -ge 2 ] ||
  fail "the cases before it were not saved"
stop_emu

# 3. --replay reproduces it on a fresh emulator
start_emu 'hang-on:<!ENTITY'
"$XSCERT" fuzz --replay "$work/found" --target "127.0.0.1:$port" --password-file "$work/pw" --timeout 1000 \
  > "$work/replay.out" 2>&1
rc=$?
cat "$work/replay.out"
[ $rc -eq 1 ] || fail "replay exit $rc, expected 1 (reproduced)"
grep -q "reproduced: the phone stopped answering after case $((10#$last))" "$work/replay.out" ||
  fail "replay did not stop at case $last"
stop_emu

# 4. a sound phone survives (TCP this time)
start_emu
"$XSCERT" fuzz --target "127.0.0.1:$port" --transport tcp --user 159 \
  --password-file "$work/pw" --cases 60 --seed 3 --timeout 1000 --out "$work/none" -q > "$work/sound.out" 2>&1
rc=$?
cat "$work/sound.out"
[ $rc -eq 0 ] || fail "a sound emulator made fuzz exit $rc"
[ -e "$work/none" ] && fail "cases saved although the phone kept answering"
stop_emu

# 5. the password is written nowhere
if grep -rqF "$secret" "$work/found" "$work"/*.out "$work/d1"; then
  fail "the password appears in an output"
fi

# 6. usage errors
"$XSCERT" fuzz --user 159 --password-file "$work/pw" >/dev/null 2>&1
[ $? -eq 2 ] || fail "missing --target: expected exit 2"
"$XSCERT" fuzz --target 127.0.0.1:5060 --user 159 --transport sctp >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --transport: expected exit 2"
"$XSCERT" fuzz --replay "$work/nowhere" --password-file "$work/pw" >/dev/null 2>&1
[ $? -eq 2 ] || fail "missing replay dir: expected exit 2"
echo "ok"
