#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-report-big.sh — a result of 10,000 exchanges renders to HTML and the page
# loads in headless Chromium within the test's timeout: exchanges are folded rows whose
# ladders are built only when opened. Sizes and times are printed, not asserted.
. "$XSCERT_SRCDIR/tests/data/report/lib.sh"
[ -n "$CHROMIUM" ] || fail "chromium is not installed (bash .ci/setup installs it)"
T=$REPORT_TMP
N=10000

python3 "$REPORT_DATA/make-samples.py" --big $N "$T/big.json" || fail "make big result"
start=$(date +%s%N)
"$XSCERT" report render --format html -o "$T/big.html" "$T/big.json" || fail "render: exit $?"
echo "render html: $(stat -c %s "$T/big.json") bytes of JSON to $(stat -c %s "$T/big.html") bytes of HTML in $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ "$(grep -c '<details class="ex ' "$T/big.html")" = $N ] || fail "want $N exchange rows"

start=$(date +%s%N)
chromium_run --dump-dom "file://$T/big.html" >"$T/big.dom" || fail "chromium --dump-dom: exit $?"
echo "chromium load + dump-dom: $(( ($(date +%s%N) - start) / 1000000 )) ms, $(stat -c %s "$T/big.dom") bytes"
grep -q "Showing $N of $N exchanges" "$T/big.dom" || fail "the page script did not finish"
grep -q '<svg[^>]*class="ladder head"' "$T/big.dom" || fail "the first exchange's ladder is missing"
# only the opened exchange has a diagram: the rest stay folded
[ "$(grep -o 'class="ladder head"' "$T/big.dom" | wc -l)" = 1 ] || fail "ladders built eagerly"
echo "ok"
