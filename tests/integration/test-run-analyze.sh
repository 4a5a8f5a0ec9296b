#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-analyze.sh — `xscert analyze` on the capture.pcap a live run wrote
# reaches the same verdicts for the phone rules it can judge from the wire
# (challenge, credentials with the password known, fetch, SIP), for a good
# phone and for a faulty one.
. "$(dirname "$0")/lib-run.sh"
"$XSCERT" analyze --help >/dev/null 2>&1 || { echo "no analyze command"; exit 77; }
S="$XSCERT_SRCDIR/scenarios"
# scenarios whose intent the analyzer can infer from the credentials alone
set -- "$S/01-options-liveness.yaml" "$S/02-challenge.yaml" "$S/03-auth-correct-url.yaml" \
	"$S/05-auth-wrong-password.yaml" "$S/07-auth-wrong-realm.yaml" "$S/09-auth-replay.yaml" \
	"$S/15-retransmitted-notify.yaml" "$S/16-tcp.yaml"
RULES='["XS-CHAL-01","XS-CHAL-02","XS-CHAL-03","XS-CHAL-04","XS-AUTH-01","XS-AUTH-02","XS-AUTH-03","XS-FETCH-01","XS-FETCH-02","XS-SIP-01","XS-SIP-02"]'
# per rule: did it fail anywhere, did it pass anywhere
verdicts() {
	jq -r --argjson rules "$RULES" '.summary.rules | to_entries[] | select(.key as $k | $rules | index($k))
		| "\(.key) fail=\(.value.fail > 0)"' "$1" | sort
}
bad=0
for quirk in none accept-any-password no-fetch accept-replay wrong-realm-accepted; do
	extra=()
	[ "$quirk" != none ] && extra=(--quirk "$quirk")
	start_emulator "e-$quirk" --profile spa504g-7.6.2 "${extra[@]}"
	"$XSCERT" run -q --target "127.0.0.1:$EMU_PORT" --password-file "$T/e-$quirk.pw" \
		--report-dir "$T/live-$quirk" "$@" > /dev/null 2>&1
	[ -s "$T/live-$quirk/capture.pcap" ] || fail "$quirk: no capture"
	echo "159::$(cat "$T/e-$quirk.pw")" > "$T/creds"
	"$XSCERT" analyze "$T/live-$quirk/capture.pcap" --credentials "$T/creds" \
		--report-dir "$T/an-$quirk" > /dev/null 2>&1
	[ -s "$T/an-$quirk/result.json" ] || fail "$quirk: analyze wrote no result"
	verdicts "$T/live-$quirk/result.json" > "$T/v-live"
	verdicts "$T/an-$quirk/result.json" > "$T/v-an"
	# a rule the live run judged must get the same outcome offline
	if ! join "$T/v-live" "$T/v-an" | awk '$2 != $3 { print; bad = 1 } END { exit bad }'; then
		echo "quirk $quirk: live and analyze disagree (rule live analyze) above" >&2
		bad=1
	else
		echo "quirk $quirk: analyze agrees on $(wc -l < "$T/v-live") rules"
	fi
done
[ $bad -eq 0 ] || fail "analyze did not reach the live verdicts"
