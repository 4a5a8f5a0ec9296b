#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-quirks.sh — for every emulator quirk, the rule that quirk breaks
# fails and every other rule still passes (runs in parallel, one emulator each),
# and the emulator logs a "quirk applied" event for it.
. "$(dirname "$0")/lib-run.sh"
S="${XSCERT_SRCDIR:?XSCERT_SRCDIR must name the source tree}/scenarios"

# quirk -> the rule ids expected to fail (XS-SCN-01: the scenario's own expectation)
declare -A want=(
	[no-auth]="XS-CHAL-01 XS-SCN-01"
	[static-nonce]="XS-AUTH-04 XS-CHAL-05 XS-SCN-01"
	[no-qop]="XS-CHAL-03"
	[accept-any-password]="XS-AUTH-02 XS-SCN-01"
	[accept-replay]="XS-AUTH-03 XS-SCN-01"
	[ignore-stale]="XS-AUTH-04 XS-SCN-01"
	[wrong-realm-accepted]="XS-AUTH-02 XS-SCN-01"
	[no-fetch]="XS-FETCH-01 XS-SCN-01"
	[fetch-twice]="XS-SIP-02"
	[bad-via]="XS-SIP-01"
	[delay:150]=""
	[bad-challenge]="XS-CHAL-02"
	[bad-algorithm]="XS-CHAL-04"
	[reject-all]="XS-AUTH-01 XS-SCN-01"
	[wrong-url]="XS-FETCH-02"
	[no-retx-cache]="XS-SIP-02"
	# a lossy phone over UDP is still certified: the runner retransmits (RFC 3261 §17.1.2.2)
	[drop:20]=""
)
# quirk -> the only scenarios it runs (the rest of the suite has nothing more for it to
# break); a quirk not listed runs the whole suite
declare -A only=(
	[bad-challenge]="02-challenge"
	[bad-algorithm]="02-challenge"
	[reject-all]="03-auth-correct-url"
	[wrong-url]="03-auth-correct-url"
	[no-retx-cache]="15-retransmitted-notify"
	[drop:20]="01-options-liveness 03-auth-correct-url"
)
# and extra options: enough requests (about 30) that some are lost, nearly always; and
# nonces that outlive Timer F, or a retry lost three times in a row (0.8 % of them)
# would arrive after the built-in emulator's nonce expired
declare -A extra=(
	[drop:20]="--repeat 8 --nonce-wait 40"
)

# whole-suite runs first, so the short ones fill the gaps at the end
order=()
for q in "${!want[@]}"; do [ -z "${only[$q]+x}" ] && order+=("$q"); done
for q in "${!only[@]}"; do order+=("$q"); done

# at most 4 at once: on 2 cores under ASan more would stretch fetch windows
for q in "${order[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
	d="$T/${q//:/_}"
	scn=()
	for s in ${only[$q]:-}; do scn+=("$S/$s.yaml"); done
	# shellcheck disable=SC2086 # extra holds separate words
	( "$XSCERT" run -q --profile spa504g-7.6.2 --quirk "$q" ${extra[$q]:-} --report-dir "$d" \
		"${scn[@]}" > "$d.out" 2>&1; echo $? > "$d.rc" ) &
	PIDS+=("$!")
done
wait

bad=0
for q in "${order[@]}"; do
	d="$T/${q//:/_}"
	rc=$(cat "$d.rc")
	got=$(failing_rules "$d" 2>/dev/null)
	exp=${want[$q]}
	exp_rc=$([ -n "$exp" ] && echo 1 || echo 0)
	# the emulator says when a quirk takes effect (drop: "drop", delay:150: "delay")
	applied=$(cat "$d"/emulator-*.events.jsonl 2>/dev/null |
		grep -c "\"event\":\"quirk applied\".*\"quirk\":\"${q%%:*}\"")
	if [ "$got" != "$exp" ] || [ "$rc" != "$exp_rc" ]; then
		echo "quirk $q: exit $rc, failing rules '$got'; expected exit $exp_rc, '$exp'" >&2
		cat "$d.out" >&2
		bad=1
	elif [ "$applied" -eq 0 ] && [ "${q%%:*}" = drop ]; then
		# random loss: about once in 2000 runs none of the requests is lost
		echo "quirk $q: fails nothing, as expected (but no request happened to be lost)"
	elif [ "$applied" -eq 0 ]; then
		echo "quirk $q: no \"quirk applied\" event in the emulator's events" >&2
		bad=1
	else
		echo "quirk $q: fails ${exp:-nothing}, as expected ($applied \"quirk applied\" events)"
	fi
done
[ $bad -eq 0 ] || fail "a quirk did not break exactly its rule"
