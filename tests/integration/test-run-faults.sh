#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-faults.sh — target down (exit 3 naming it), 20% loss completes by
# retransmission, malformed scenario (exit 2 with file:line:column), a real
# --target run over IPv4 and IPv6 with no password leak, a profile mismatch
# failing XS-FW-01, and a --targets fleet.
. "$(dirname "$0")/lib-run.sh"
S="$XSCERT_SRCDIR/scenarios"

# 1. nothing listens: exit 3 within the timeout, naming the address
port=$(python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
echo x > "$T/pw"
"$XSCERT" run --target "127.0.0.1:$port" --password-file "$T/pw" --timeout 2 \
	--report-dir "$T/down" > "$T/down.out" 2> "$T/down.err"
rc=$?
[ $rc -eq 3 ] || fail "target down: exit $rc, expected 3"
grep -q "udp:127.0.0.1:$port" "$T/down.err" || { cat "$T/down.err"; fail "the address is not named"; }
# TCP: connection refused, same exit
"$XSCERT" run --target "127.0.0.1:$port" --transport tcp --password-file "$T/pw" --timeout 2 \
	--report-dir "$T/down" > /dev/null 2> "$T/down2.err"
[ $? -eq 3 ] || fail "tcp target down: expected exit 3"
grep -q "127.0.0.1:$port" "$T/down2.err" || fail "tcp: the address is not named"

# a socket that swallows everything: Timer F, capped by --timeout, then exit 3
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True: s.recvfrom(65535)' > "$T/hole.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$T/hole.port" ] && break; sleep 0.1; done
hport=$(head -1 "$T/hole.port")
start=$(date +%s)
"$XSCERT" run --target "127.0.0.1:$hport" --password-file "$T/pw" --timeout 1.5 \
	--report-dir "$T/hole" > /dev/null 2> "$T/hole.err"
rc=$?
[ $rc -eq 3 ] || fail "silent target: exit $rc, expected 3"
grep -q "udp:127.0.0.1:$hport did not answer OPTIONS within 1.5 s" "$T/hole.err" ||
	{ cat "$T/hole.err"; fail "silent target: the address is not named"; }
[ $(( $(date +%s) - start )) -lt 20 ] || fail "silent target: not bounded by --timeout"

# 2. malformed scenario: exit 2 with file:line:column and what was expected
mkdir "$T/bad"
printf 'name: x\nproves: y\nsteps:\n  - notify:\n      auth: sometimes\n' > "$T/bad/x.yaml"
"$XSCERT" run --report-dir "$T/bad-r" "$T/bad/x.yaml" > /dev/null 2> "$T/bad.err"
rc=$?
[ $rc -eq 2 ] || fail "malformed scenario: exit $rc, expected 2"
grep -q "x.yaml:5:13: expected one of none, digest" "$T/bad.err" || { cat "$T/bad.err"; fail "no position"; }

# 3. 20% loss on UDP: the run completes by retransmission (T1 shortened to keep
# it quick; TCP is left out: a stream does not lose messages, so nothing resends)
"$XSCERT" run -q --profile spa504g-7.6.2 --quirk drop:20 --t1 100 --report-dir "$T/drop" \
	"$S/01-options-liveness.yaml" "$S/02-challenge.yaml" "$S/03-auth-correct-url.yaml" \
	"$S/05-auth-wrong-password.yaml" "$S/09-auth-replay.yaml" "$S/15-retransmitted-notify.yaml" \
	> "$T/drop.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$T/drop.out"; fail "drop:20: exit $rc, expected 0"; }
retx=$(jq '[.exchanges[].messages[] | select(.dir == "to-phone")] | length' "$T/drop/result.json" 2>/dev/null || echo 0)
echo "drop:20 completed; requests sent including retransmissions: $retx"

# 4. a real --target run against an emulator we started; the password leaks nowhere
start_emulator e1 --profile mpp-8851-11.3.7
"$XSCERT" run --target "127.0.0.1:$EMU_PORT" --password-file "$T/e1.pw" --nonce-wait 3 \
	--report-dir "$T/t1" "$S/03-auth-correct-url.yaml" "$S/05-auth-wrong-password.yaml" \
	> "$T/t1.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$T/t1.out"; fail "--target: exit $rc, expected 0"; }
jq -e '.devices[0].profile == "mpp-8851-11.3.7"' "$T/t1/result.json" >/dev/null ||
	fail "profile not detected from the Server header"
pw=$(cat "$T/e1.pw")
if grep -rqa -- "$pw" "$T/t1" "$T/t1.out"; then fail "the password appears in the output"; fi
# XSCERT_PASSWORD works too
XSCERT_PASSWORD="$pw" "$XSCERT" run -q --target "127.0.0.1:$EMU_PORT" --report-dir "$T/t1b" \
	"$S/03-auth-correct-url.yaml" > "$T/t1b.out" 2>&1 || { cat "$T/t1b.out"; fail "XSCERT_PASSWORD run failed"; }

# --http-listen / --http-url: the phone is told the given base and fetches it
hp=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$XSCERT" run -q --target "127.0.0.1:$EMU_PORT" --password-file "$T/e1.pw" \
	--http-listen "127.0.0.1:$hp" --http-url "http://127.0.0.1:$hp/" --report-dir "$T/t1c" \
	"$S/03-auth-correct-url.yaml" > "$T/t1c.out" 2>&1 || { cat "$T/t1c.out"; fail "--http-listen run failed"; }
jq -e --arg u "http://127.0.0.1:$hp/xs/" '.exchanges[0].http[0].url | startswith($u)' \
	"$T/t1c/result.json" > /dev/null || fail "the fetch did not use --http-url"

# 5. a profile mismatch: XS-FW-01 fails
"$XSCERT" run -q --target "127.0.0.1:$EMU_PORT" --password-file "$T/e1.pw" \
	--profile spa504g-7.6.2 --report-dir "$T/t2" "$S/03-auth-correct-url.yaml" > /dev/null 2>&1
rc=$?
[ $rc -eq 1 ] || fail "profile mismatch: exit $rc, expected 1"
[ "$(failing_rules "$T/t2")" = "XS-FW-01" ] || fail "profile mismatch fails '$(failing_rules "$T/t2")', expected XS-FW-01"

# 6. IPv6, UDP and TCP
if EMU_LISTEN="[::1]:0" start_emulator e6 2>/dev/null; then
	for tp in udp tcp; do
		"$XSCERT" run -q --target "[::1]:$EMU_PORT" --transport $tp --password-file "$T/e6.pw" \
			--report-dir "$T/v6$tp" "$S/03-auth-correct-url.yaml" > "$T/v6.out" 2>&1 ||
			{ cat "$T/v6.out"; fail "IPv6 $tp run failed"; }
	done
	jq -e '.exchanges[0].messages[0].src | test("::1")' "$T/v6tcp/result.json" >/dev/null ||
		echo "note: IPv6 source address not found in the report" >&2
fi

# 7. a fleet from --targets: one result per phone plus the merged summary
start_emulator f1 --profile spa504g-7.6.2
p1=$EMU_PORT
start_emulator f2 --profile mpp-8851-11.3.7
p2=$EMU_PORT
{
	echo "host,port,transport,user,password_file,profile"
	echo "127.0.0.1,$p1,udp,159,$T/f1.pw,"
	echo "127.0.0.1,$p2,tcp,159,$T/f2.pw,"
} > "$T/fleet.csv"
"$XSCERT" run -q --targets "$T/fleet.csv" --jobs 2 --report-dir "$T/fleet" \
	"$S/03-auth-correct-url.yaml" "$S/02-challenge.yaml" > "$T/fleet.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$T/fleet.out"; fail "fleet: exit $rc"; }
[ -s "$T/fleet/127.0.0.1_$p1/result.json" ] && [ -s "$T/fleet/127.0.0.1_$p2/result.json" ] ||
	fail "no per-phone results"
[ "$(jq '.devices | length' "$T/fleet/result.json")" -eq 2 ] || fail "merged result lacks a phone"
echo "faults: all as expected"

# 8. a malformed answer is a failed finding, never a crash
python3 "$XSCERT_SRCDIR/tests/data/fake-phone/fake-phone.py" > "$T/fake.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$T/fake.port" ] && break; sleep 0.1; done
fport=$(head -1 "$T/fake.port")
"$XSCERT" run --target "127.0.0.1:$fport" --password-file "$T/pw" --timeout 1 --t1 100 \
	--report-dir "$T/fake" "$S/02-challenge.yaml" "$S/05-auth-wrong-password.yaml" \
	> "$T/fake.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$T/fake.out"; fail "broken phone: exit $rc, expected 1 (findings)"; }
f=$(failing_rules "$T/fake")
for r in XS-CHAL-02 XS-SIP-01; do
	grep -qw "$r" <<<"$f" || fail "broken phone: $r did not fail ($f)"
done
echo "broken phone: failed $f"

# 9. several challenges: the runner answers the strongest (SHA-256 over MD5)
python3 "$XSCERT_SRCDIR/tests/data/fake-phone/fake-phone.py" --multi > "$T/multi.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$T/multi.port" ] && break; sleep 0.1; done
mport=$(head -1 "$T/multi.port")
"$XSCERT" run --target "127.0.0.1:$mport" --password-file "$T/pw" --timeout 2 \
	--report-dir "$T/multi" "$XSCERT_SRCDIR/tests/data/sipp-uas/scenarios/01-auth-correct.yaml" \
	> "$T/multi.out" 2>&1
rc=$?
# the fake phone names no Cisco firmware: XS-FW-01 fails, and only it
[ $rc -eq 1 ] && [ "$(failing_rules "$T/multi")" = XS-FW-01 ] ||
	{ cat "$T/multi.out"; fail "two challenges: exit $rc, expected 1 with XS-FW-01 alone"; }
echo "two challenges: SHA-256 picked, XS-DIG-01 $(jq -r '[.exchanges[].findings[] | select(.rule == "XS-DIG-01") | .verdict][0]' "$T/multi/result.json")"

# 10. a phone without TCP: the TCP scenario is an error finding, the others still
# run, and the reports are written (exit 1, not 3: the phone answered)
start_emulator udponly --transport udp
"$XSCERT" run -q --target "127.0.0.1:$EMU_PORT" --password-file "$T/udponly.pw" \
	--report-dir "$T/udponly" "$S/03-auth-correct-url.yaml" "$S/16-tcp.yaml" \
	"$S/17-unknown-event.yaml" > "$T/udponly.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$T/udponly.out"; fail "phone without TCP: exit $rc, expected 1"; }
[ -s "$T/udponly/result.json" ] && [ -s "$T/udponly/report.html" ] || fail "phone without TCP: no report"
jq -e '[.exchanges[] | select(.id == "16-tcp/1") | .findings[] | select(.rule == "XS-SCN-01" and .verdict == "error")] | length == 1' \
	"$T/udponly/result.json" > /dev/null || fail "phone without TCP: no XS-SCN-01 error for 16-tcp"
jq -e '[.exchanges[] | select(.id == "17-unknown-event/1")] | length == 1' "$T/udponly/result.json" > /dev/null ||
	fail "phone without TCP: the scenario after it did not run"
echo "phone without TCP: 16-tcp is an error finding, the rest judged, reports written"

# 11. a fleet with a dead phone: exit 3, and the merged report still shows it and why
printf '127.0.0.1,%s,udp,159,%s,\n127.0.0.1,%s,udp,159,%s,\n' "$EMU_PORT" "$T/udponly.pw" "$port" "$T/udponly.pw" \
	> "$T/fleet-dead.csv"
"$XSCERT" run -q --targets "$T/fleet-dead.csv" --timeout 1 --report-dir "$T/fleet-dead" \
	"$S/03-auth-correct-url.yaml" > "$T/fleet-dead.out" 2>&1
rc=$?
[ $rc -eq 3 ] || { cat "$T/fleet-dead.out"; fail "fleet with a dead phone: exit $rc, expected 3"; }
jq -e '(.devices | length) == 2 and ([.exchanges[].findings[] | select(.rule == "XS-SCN-01" and .verdict == "error")] | length) == 1' \
	"$T/fleet-dead/result.json" > /dev/null || fail "fleet with a dead phone: the merged report leaves it out"
echo "fleet with a dead phone: exit 3, both phones in the merged report"
