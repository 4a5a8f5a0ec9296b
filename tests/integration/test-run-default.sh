#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-default.sh — `xscert run` with no target: the built-in emulators
# (one per profile), the whole suite, exit 0, every report and a capture per phone.
. "$(dirname "$0")/lib-run.sh"

"$XSCERT" run --report-dir "$T/r" > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/out" "$T/err"; fail "exit $rc, expected 0"; }
for f in result.json junit.xml report.html report.md; do
	[ -s "$T/r/$f" ] || fail "no $f"
done
jq -e '.schema == "xscert-report/1" and .summary.verdict == "pass"' "$T/r/result.json" >/dev/null ||
	fail "result.json is not a passing xscert-report/1"
ndev=$(jq '.devices | length' "$T/r/result.json")
[ "$ndev" -eq 3 ] || fail "$ndev devices, expected one per profile (3)"
for p in spa504g-7.4.3 spa504g-7.6.2 mpp-8851-11.3.7; do
	[ -s "$T/r/$p/capture.pcap" ] || fail "no capture for $p"
	[ -s "$T/r/$p/result.json" ] || fail "no result for $p"
done
grep -q "verdict: PASS" "$T/out" || fail "no summary table on stdout"
# every phone-subject rule of the catalogue was exercised and passed somewhere
for r in XS-CHAL-01 XS-CHAL-02 XS-CHAL-03 XS-CHAL-04 XS-CHAL-05 XS-AUTH-01 XS-AUTH-02 \
	XS-AUTH-03 XS-AUTH-04 XS-FETCH-01 XS-FETCH-02 XS-FW-01 XS-FW-02 XS-SIP-01 XS-SIP-02; do
	n=$(jq --arg r "$r" '.summary.rules[$r].pass // 0' "$T/r/result.json")
	[ "$n" -gt 0 ] || fail "$r never passed"
done
# the emulators are gone: nothing listens on their ports any more
for a in $(jq -r '.devices[].address' "$T/r/result.json"); do
	if ss -Hlun "sport = :${a##*:}" 2>/dev/null | grep -q .; then
		fail "an emulator survived the run (port ${a##*:})"
	fi
done
echo "default run: $(jq -c .summary.findings "$T/r/result.json")"
