#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `xscert list`: the catalogue, the profiles and the suite; docs/rules.md is the generated catalogue.
set -uo pipefail
: "${XSCERT:?}" "${XSCERT_SRCDIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$XSCERT" list rules >"$tmp/rules.txt" || fail "list rules exit $?"
[ "$(grep -c '^XS-' "$tmp/rules.txt")" -eq 25 ] || fail "25 rules expected (24 and XS-SCN-01)"
"$XSCERT" list rules --format md >"$tmp/rules.md" || fail "list rules --format md"
diff -u "$XSCERT_SRCDIR/docs/rules.md" "$tmp/rules.md" ||
	fail "docs/rules.md is stale: regenerate with 'xscert list rules --format md > docs/rules.md'"

"$XSCERT" list profiles >"$tmp/profiles.txt" || fail "list profiles"
for p in spa504g-7.4.3 spa504g-7.6.2 mpp-8851-11.3.7; do
	grep -q "^$p " "$tmp/profiles.txt" || fail "profile $p missing"
done
grep -q '(assumed)' "$tmp/profiles.txt" || fail "assumed behaviours are not marked"
"$XSCERT" list profiles --format md | grep -q '^| spa504g-7.6.2 |' || fail "profiles md"

mkdir "$tmp/sc"
printf 'name: First\nproves: >-\n  one\n  two\nsteps: []\n' >"$tmp/sc/b.yaml"
printf '# c\nproves: "p"\nname: Second\n' >"$tmp/sc/a.yml"
printf 'not yaml' >"$tmp/sc/ignored.txt"
out=$("$XSCERT" list scenarios --dir "$tmp/sc") || fail "list scenarios --dir"
expected=$'a.yml  Second\n    p\nb.yaml  First\n    one two'
[ "$out" = "$expected" ] || fail "unexpected listing: $out"

printf 'name: [unclosed\n' >"$tmp/sc/c.yaml"
err=$("$XSCERT" list scenarios --dir "$tmp/sc" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "malformed YAML: exit $rc, want 2"
echo "$err" | grep -q 'c.yaml:[0-9]*:[0-9]*:' || fail "error does not name file:line:col: $err"
rm "$tmp/sc/c.yaml"
printf 'name: x\n' >"$tmp/sc/d.yaml"
"$XSCERT" list scenarios --dir "$tmp/sc" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "missing proves: exit $rc, want 2"

if [ -d "$XSCERT_SRCDIR/scenarios" ]; then
	n=$(ls "$XSCERT_SRCDIR/scenarios"/*.yaml 2>/dev/null | wc -l)
	got=$("$XSCERT" list scenarios --dir "$XSCERT_SRCDIR/scenarios" | grep -c '\.yaml  ') ||
		fail "the suite does not list"
	[ "$got" -eq "$n" ] || fail "listed $got of $n scenarios"
fi

"$XSCERT" list >/dev/null 2>&1; [ $? -eq 2 ] || fail "no argument: exit 2 expected"
"$XSCERT" list rules --format pdf >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad format: exit 2 expected"
"$XSCERT" list rules --dir x >/dev/null 2>&1; [ $? -eq 2 ] || fail "--dir with rules: exit 2"
"$XSCERT" list --help | grep -q '^Usage: xscert list' || fail "--help"
echo "list: ok"
