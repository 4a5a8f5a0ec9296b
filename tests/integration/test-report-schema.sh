#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-report-schema.sh — docs/report-schema.json (JSON Schema 2020-12) accepts what xscert
# writes: the sample results, a merge, a JSON re-render, and the result.json of a real
# `xscert run` of two scenarios against the built-in emulator; it rejects a broken one.
. "$XSCERT_SRCDIR/tests/data/report/lib.sh"
T=$REPORT_TMP
SCHEMA="$XSCERT_SRCDIR/docs/report-schema.json"
PY=python3
$PY -c 'import jsonschema' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import jsonschema' 2>/dev/null || { echo "python3-jsonschema not installed: skip"; exit 77; }

check() { # FILE...: every file valid against the schema
	$PY - "$SCHEMA" "$@" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    for e in errs[:5]:
        print("%s: %s: %s" % (path, "/".join(map(str, e.path)), e.message), file=sys.stderr)
    bad += bool(errs)
sys.exit(1 if bad else 0)
PY
}

"$XSCERT" report merge -o "$T/merged.json" "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" || fail "merge"
"$XSCERT" report render --format json -o "$T/hostile.json" "$REPORT_DATA/hostile.json" || fail "render"
check "$REPORT_DATA/pass.json" "$REPORT_DATA/fail.json" "$REPORT_DATA/hostile.json" \
	"$T/merged.json" "$T/hostile.json" || fail "samples do not match the schema"

# what the program itself writes from its records
S="$XSCERT_SRCDIR/scenarios"
if [ -f "$S/02-challenge.yaml" ] && [ -f "$S/11-url-trailing-newline.yaml" ]; then
	timeout -k 5 100 "$XSCERT" run --quiet --profile spa504g-7.6.2 -o "$T/run" \
		"$S/02-challenge.yaml" "$S/11-url-trailing-newline.yaml" >"$T/run.log" 2>&1
	rc=$?
	[ "$rc" -le 1 ] || { cat "$T/run.log" >&2; fail "xscert run: exit $rc"; }
	result=$(find "$T/run" -name result.json | head -1)
	[ -n "$result" ] || fail "xscert run wrote no result.json"
	check "$result" || fail "xscert run's result.json does not match the schema"
	"$XSCERT" report validate "$result" >/dev/null || fail "xscert run's result.json does not validate"
	echo "ok: $result"
fi

# and the schema is not vacuous
$PY - "$REPORT_DATA/fail.json" "$T/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["exchanges"][0]["messages"][0]["ts"] = 1.5e9
json.dump(d, open(sys.argv[2], "w"))
PY
! check "$T/broken.json" 2>/dev/null || fail "the schema accepts a numeric ts"
echo "ok"
