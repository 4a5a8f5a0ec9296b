#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-emulate-sipsak.sh — sipsak sends a NOTIFY Event: XML-Service (-f) and answers
# the 401 itself (-a): with the right password it gets 200 and the phone fetches the
# pushed URL; with a wrong one it does not.
set -uo pipefail
. "$XSCERT_SRCDIR/tests/data/emulator/lib.sh"
command -v sipsak >/dev/null || { echo "sipsak not installed: skip"; exit 77; }

export XSCERT_PASSWORD=$(emu_password)
emu_start --events "$EMU_TMP/events.jsonl" --fetch-timeout 2000 || exit 1

# A local HTTP server for the pushed URL, so a fetch can succeed.
HTTP_PORT=$(free_port)
mkdir -p "$EMU_TMP/www"
echo '<CiscoIPPhoneText><Text>xscert</Text></CiscoIPPhoneText>' >"$EMU_TMP/www/service.xml"
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$EMU_TMP/www" \
	>/dev/null 2>&1 &
EMU_EXTRA_PIDS+=($!)
for i in $(seq 1 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $HTTP_PORT), 1)" \
		2>/dev/null && break
	sleep 0.1
done

# notify FILE CALLID: a NOTIFY whose body is the URL, exact bytes (no trailing newline)
notify() {
	local url="http://127.0.0.1:$HTTP_PORT/service.xml"
	printf 'NOTIFY sip:159@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-%s\r\nFrom: <sip:controller@127.0.0.1>;tag=%s\r\nTo: <sip:159@127.0.0.1:%s>\r\nCall-ID: %s@127.0.0.1\r\nCSeq: 1 NOTIFY\r\nMax-Forwards: 70\r\nEvent: XML-Service\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s' \
		"$EMU_PORT" "$2" "$2" "$EMU_PORT" "$2" "${#url}" "$url" >"$1"
}

fail=0
notify "$EMU_TMP/good.sip" sipsak-good
timeout 30 sipsak -f "$EMU_TMP/good.sip" -s "sip:159@127.0.0.1:$EMU_PORT" -u 159 \
	-a "$XSCERT_PASSWORD" >"$EMU_TMP/good.out" 2>&1
rc=$?
echo "sipsak right password: exit $rc"
[ "$rc" = 0 ] || { fail=1; cat "$EMU_TMP/good.out"; }

notify "$EMU_TMP/bad.sip" sipsak-bad
timeout 30 sipsak -f "$EMU_TMP/bad.sip" -s "sip:159@127.0.0.1:$EMU_PORT" -u 159 \
	-a "wrong-$XSCERT_PASSWORD" >"$EMU_TMP/bad.out" 2>&1
rc=$?
echo "sipsak wrong password: exit $rc ($(grep -m1 -o 'SIP/2.0 4[0-9][0-9][^[:cntrl:]]*' "$EMU_TMP/bad.out"))"
[ "$rc" != 0 ] || fail=1

# the accepted push was fetched (the worker reports it), the rejected one was not
for i in $(seq 1 50); do
	grep -q '"event":"fetch attempted"' "$EMU_TMP/events.jsonl" && break
	sleep 0.1
done
grep '"event":"fetch attempted"' "$EMU_TMP/events.jsonl"
[ "$(grep -c '"event":"fetch attempted".*"http_status":200' "$EMU_TMP/events.jsonl")" = 1 ] || fail=1
grep -q '"event":"auth accepted".*"call_id":"sipsak-good@127.0.0.1"' "$EMU_TMP/events.jsonl" ||
	{ echo "no acceptance event"; fail=1; }
grep -q '"event":"auth rejected".*"call_id":"sipsak-bad@127.0.0.1".*"reason":"wrong password"' \
	"$EMU_TMP/events.jsonl" || { echo "no wrong-password rejection event"; fail=1; }
if grep -qF -- "$XSCERT_PASSWORD" "$EMU_TMP/events.jsonl" "$EMU_TMP/stderr"; then
	echo "the password appeared in the emulator's output"
	fail=1
fi
emu_stop || fail=1
exit $fail
