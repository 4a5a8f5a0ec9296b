#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-report-junit.sh — `xscert report render --format junit` validates with xmllint against
# the JUnit schemas CI servers read (tests/data/junit.xsd, the Ant/windyroad one, and
# tests/data/junit-jenkins.xsd, Jenkins xUnit's), for passing, failing, hostile and merged results.
. "$XSCERT_SRCDIR/tests/data/report/lib.sh"
command -v xmllint >/dev/null || { echo "xmllint not installed: skip"; exit 77; }

"$XSCERT" report merge -o "$REPORT_TMP/merged.json" "$REPORT_DATA/pass.json" \
	"$REPORT_DATA/fail.json" "$REPORT_DATA/hostile.json" || fail "merge"
for r in "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" "$REPORT_DATA/hostile.json" \
	"$REPORT_TMP/merged.json"; do
	name=$(basename "$r" .json)
	out="$REPORT_TMP/$name.xml"
	"$XSCERT" report render --format junit -o "$out" "$r" || fail "$name: render exit $?"
	for xsd in junit.xsd junit-jenkins.xsd; do
		xmllint --noout --schema "$XSCERT_SRCDIR/tests/data/$xsd" "$out" 2>"$REPORT_TMP/err" ||
			{ cat "$REPORT_TMP/err" >&2; fail "$name.xml does not validate against $xsd"; }
	done
	echo "ok: $name.xml validates against both schemas"
done

# failures carry the rule's statement and the evidence message
grep -q 'a URL body does not end with CR or LF' "$REPORT_TMP/fail.xml" || fail "no statement"
grep -q -- '--- message 0, to-phone' "$REPORT_TMP/fail.xml" || fail "no evidence message"
[ "$(grep -c '<failure ' "$REPORT_TMP/fail.xml")" = 3 ] || fail "fail.xml: want 3 failures"
[ "$(grep -c '<skipped ' "$REPORT_TMP/fail.xml")" = 3 ] || fail "fail.xml: want 3 skipped"
! grep -q '<failure' "$REPORT_TMP/pass.xml" || fail "pass.xml has a failure"
! grep -q 'hunter2' "$REPORT_TMP/hostile.xml" "$REPORT_TMP/merged.xml" "$REPORT_TMP/merged.json" ||
	fail "a password reached the output"
echo "ok"
