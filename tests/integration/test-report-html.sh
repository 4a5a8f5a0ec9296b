#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-report-html.sh — the HTML report in headless Chromium: the DOM has the verdict,
# the ladder (inline SVG) of the first failing exchange, the devices and rules tables;
# the screenshot is a real picture; hostile bytes in the result run no script.
. "$XSCERT_SRCDIR/tests/data/report/lib.sh"
[ -n "$CHROMIUM" ] || fail "chromium is not installed (bash .ci/setup installs it)"
T=$REPORT_TMP

"$XSCERT" report render --format html -o "$T/fail.html" "$REPORT_DATA/fail.json" || fail "render"
! grep -qE '(src|href)="(https?:)?//' "$T/fail.html" || fail "the page refers to something outside itself"

chromium_run --dump-dom "file://$T/fail.html" >"$T/fail.dom" || fail "chromium --dump-dom: exit $?"
grep -q 'id="verdict"[^>]*data-verdict="fail"' "$T/fail.dom" || fail "DOM: no verdict"
grep -q '<div class="big">FAIL</div>' "$T/fail.dom" || fail "DOM: verdict text"
grep -q '<table id="devices">' "$T/fail.dom" || fail "DOM: no devices table"
grep -q '<table id="rules">' "$T/fail.dom" || fail "DOM: no rules table"
grep -q 'XS-BODY-02' "$T/fail.dom" || fail "DOM: rules table lacks XS-BODY-02"
# the script built the ladder of the first (failing) exchange: SVG arrows with labels and times
grep -q '<svg[^>]*class="ladder head"' "$T/fail.dom" || fail "DOM: no ladder header (script did not run?)"
[ "$(grep -o '<svg[^>]*class="ladder row' "$T/fail.dom" | wc -l)" -ge 4 ] || fail "DOM: want >= 4 ladder arrows (NOTIFY, 401, NOTIFY, 200)"
for label in 'NOTIFY' '401 Unauthorized' 'NOTIFY + Authorization' '200 OK' '+1.8 ms'; do
	grep -qF ">$label</text>" "$T/fail.dom" || fail "DOM: no arrow labelled '$label'"
done
grep -q 'Showing 3 of 3 exchanges' "$T/fail.dom" || fail "DOM: filter bar did not run"

chromium_run --screenshot="$T/fail.png" --window-size=1280,2000 "file://$T/fail.html" ||
	fail "chromium --screenshot: exit $?"
[ -f "$T/fail.png" ] || fail "no screenshot"
[ "$(head -c 8 "$T/fail.png" | xxd -p)" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
size=$(stat -c %s "$T/fail.png")
[ "$size" -gt 50000 ] || fail "screenshot is $size bytes: a blank page?"
python3 - "$T/fail.png" <<'PY' || fail "screenshot size"
import struct, sys
b = open(sys.argv[1], "rb").read(24)
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1280, 2000), (w, h)
PY
echo "ok: screenshot $size bytes"

# hostile result: markup and script in every field; none of it may run
"$XSCERT" report render --format html -o "$T/hostile.html" "$REPORT_DATA/hostile.json" || fail "render hostile"
chromium_run --dump-dom "file://$T/hostile.html" >"$T/hostile.dom" || fail "chromium hostile: exit $?"
grep -q '<svg[^>]*class="ladder head"' "$T/hostile.dom" || fail "hostile: the page's own script did not run"
! grep -q '<body[^>]*data-pwned' "$T/hostile.dom" || fail "hostile: an injected script ran"
! grep -qi '<img' "$T/hostile.dom" || fail "hostile: an injected element exists"
grep -qF 'SPA504G&lt;/td&gt;&lt;script&gt;' "$T/hostile.dom" || fail "hostile: text not shown escaped"
echo "ok"
