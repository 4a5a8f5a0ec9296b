#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-report-cli.sh — `xscert report`: exit status and messages for good, malformed,
# unreadable and invalid inputs; same input, same bytes; merge; no password in any output.
. "$XSCERT_SRCDIR/tests/data/report/lib.sh"
T=$REPORT_TMP

expect() { # WANT_EXIT STDERR_PATTERN CMD...
	local want=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" = "$want" ] || { cat "$T/err" >&2; fail "$*: exit $rc, want $want"; }
	[ -z "$pat" ] || grep -qE -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "$*: stderr lacks /$pat/"; }
}

expect 0 "" "$XSCERT" report --help
grep -q "render" "$T/out" || fail "help"
expect 0 "" "$XSCERT" report render --help
expect 2 "Try 'xscert report --help'" "$XSCERT" report frobnicate
expect 2 "no RESULT.json" "$XSCERT" report render
expect 2 "unknown format 'pdf'" "$XSCERT" report render --format pdf "$REPORT_DATA/pass.json"

# malformed: JSON error with file:line:column
printf '{\n  "schema": "xscert-report/1",\n  "tool": {,}\n}\n' >"$T/bad.json"
expect 2 "bad.json:3:[0-9]+: not valid JSON" "$XSCERT" report render "$T/bad.json"
# unreadable
expect 2 "nope.json: cannot read" "$XSCERT" report render "$T/nope.json"
# valid JSON, not a result: the JSON path that is wrong
python3 - "$REPORT_DATA/fail.json" "$T/wrong.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["exchanges"][1]["findings"][0]["verdict"] = "maybe"
json.dump(d, open(sys.argv[2], "w"))
PY
expect 2 "wrong.json: not a valid xscert-report/1 result: exchanges\[1\]\.findings\[0\]\.verdict" \
	"$XSCERT" report render --format html "$T/wrong.json"
expect 2 "wrong.json" "$XSCERT" report merge -o "$T/m.json" "$REPORT_DATA/pass.json" "$T/wrong.json"
[ ! -e "$T/m.json" ] || fail "merge wrote output despite a bad input"
expect 2 "wrong.json" "$XSCERT" report validate "$REPORT_DATA/pass.json" "$T/wrong.json"
expect 0 "" "$XSCERT" report validate "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json"

# an output that cannot be written is an environment failure
expect 3 "cannot write" "$XSCERT" report render --format md -o "$T/no/such/dir/x.md" "$REPORT_DATA/pass.json"

# render exits 0 whatever the verdict; the format follows -o's extension
for f in html junit md json text; do
	expect 0 "" "$XSCERT" report render --format "$f" -o "$T/a.$f" "$REPORT_DATA/fail.json"
	expect 0 "" "$XSCERT" report render --format "$f" -o "$T/b.$f" "$REPORT_DATA/fail.json"
	cmp -s "$T/a.$f" "$T/b.$f" || fail "$f: same input, different bytes"
	[ -s "$T/a.$f" ] || fail "$f: empty"
done
expect 0 "" "$XSCERT" report render -o "$T/c.html" "$REPORT_DATA/fail.json"
cmp -s "$T/a.html" "$T/c.html" || fail "-o x.html does not imply --format html"
expect 0 "" "$XSCERT" report render "$REPORT_DATA/fail.json"
grep -q "^verdict: FAIL" "$T/out" || fail "text summary on stdout"
# a JSON result re-rendered as JSON is itself (minus secrets)
expect 0 "" "$XSCERT" report render --format json -o "$T/again.json" "$T/a.json"
cmp -s "$T/a.json" "$T/again.json" || fail "json is not a fixed point"

# merge: counts add up, devices joined, deterministic with SOURCE_DATE_EPOCH
export SOURCE_DATE_EPOCH=1763796600
expect 0 "" "$XSCERT" report merge -o "$T/m1.json" "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" "$REPORT_DATA/pass.json"
expect 0 "" "$XSCERT" report merge -o "$T/m2.json" "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" "$REPORT_DATA/pass.json"
cmp -s "$T/m1.json" "$T/m2.json" || fail "merge is not deterministic"
python3 - "$T/m1.json" "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" <<'PY' || fail "merge counts"
import json, sys
m, p, f = (json.load(open(x)) for x in sys.argv[1:])
for v in ("pass", "fail", "warn", "skip", "error"):
    want = 2 * p["summary"]["findings"][v] + f["summary"]["findings"][v]
    assert m["summary"]["findings"][v] == want, (v, m["summary"]["findings"][v], want)
assert m["summary"]["exchanges"] == 2 * len(p["exchanges"]) + len(f["exchanges"])
assert len(m["devices"]) == 2, m["devices"]
assert m["generated"] == "2025-11-22T07:30:00Z", m["generated"]
PY
expect 0 "" "$XSCERT" report validate "$T/m1.json"

# no password or HA1 anywhere, whatever the input held
expect 0 "" "$XSCERT" report merge -o "$T/h.json" "$REPORT_DATA/hostile.json"
for f in html junit md json text; do
	expect 0 "" "$XSCERT" report render --format "$f" -o "$T/h.$f" "$REPORT_DATA/hostile.json"
done
! grep -l -e hunter2 -e '"password"' -e '"ha1"' "$T"/h.* || fail "a secret reached the output"
! grep -q $'\x1b' "$T/h.text" || fail "an ANSI escape reached the terminal summary"
echo "ok"
