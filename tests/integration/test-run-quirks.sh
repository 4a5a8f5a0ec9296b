#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-quirks.sh — for every emulator quirk, the rule that quirk breaks
# fails and every other rule still passes (runs in parallel, one emulator each).
. "$(dirname "$0")/lib-run.sh"

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
)
# at most 4 at once: on 2 cores under ASan more would stretch fetch windows
pids=()
for q in "${!want[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
	d="$T/${q//:/_}"
	( "$XSCERT" run -q --profile spa504g-7.6.2 --quirk "$q" --report-dir "$d" \
		> "$d.out" 2>&1; echo $? > "$d.rc" ) &
	pids+=("$!")
	PIDS+=("$!")
done
wait

bad=0
for q in "${!want[@]}"; do
	d="$T/${q//:/_}"
	rc=$(cat "$d.rc")
	got=$(failing_rules "$d" 2>/dev/null)
	exp=${want[$q]}
	exp_rc=$([ -n "$exp" ] && echo 1 || echo 0)
	if [ "$got" != "$exp" ] || [ "$rc" != "$exp_rc" ]; then
		echo "quirk $q: exit $rc, failing rules '$got'; expected exit $exp_rc, '$exp'" >&2
		cat "$d.out" >&2
		bad=1
	else
		echo "quirk $q: fails ${exp:-nothing}, as expected"
	fi
done
[ $bad -eq 0 ] || fail "a quirk did not break exactly its rule"
