#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-analyze-reference.sh — golden test over captures/: `xscert analyze` on every
# reference capture gives its recorded expectation (<name>.expected.json); its SIP
# message count equals tshark's and its digest logins equal sipdump's (like with like).
set -uo pipefail
: "${XSCERT:?}" "${XSCERT_SRCDIR:?}"
CAP=$XSCERT_SRCDIR/captures
command -v jq >/dev/null || { echo "jq missing: skip"; exit 77; }
ls "$CAP"/*.pcap* >/dev/null 2>&1 || { echo "no reference captures: skip"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
stats_json() { awk 'NF==2 && $2 ~ /^[0-9]+$/ {printf "{\"%s\":%s}\n", $1, $2}' "$1" | jq -s add; }

for f in "$CAP"/*.pcap "$CAP"/*.pcapng; do
  [ -e "$f" ] || continue
  name=$(basename "${f%.*}")
  exp=$CAP/$name.expected.json
  [ -e "$exp" ] || { bad "$name: no $name.expected.json"; continue; }
  rm -rf "$WORK/r"
  rc=0
  "$XSCERT" analyze "$f" --credentials "$CAP/reference.creds" --report-dir "$WORK/r" \
    --format json --stats 2>"$WORK/stats" || rc=$?
  if [ "$rc" -gt 1 ]; then bad "$name: exit $rc"; cat "$WORK/stats"; continue; fi
  stats_json "$WORK/stats" >"$WORK/st.json"
  jq -S --arg rc "$rc" --slurpfile st "$WORK/st.json" -f "$CAP/expected.jq" \
    "$WORK/r/result.json" >"$WORK/got.json"
  if ! diff -u "$exp" "$WORK/got.json" >"$WORK/diff"; then
    bad "$name: result differs from the expectation"; cat "$WORK/diff"
  fi

  # tshark counts SIP PDUs (one tree per message, several per frame when TCP
  # carries several; reassembled messages count once, at their last segment)
  if command -v tshark >/dev/null; then
    t=$(tshark -n -r "$f" -Y sip -V 2>/dev/null | grep -c '^Session Initiation Protocol')
    m=$(jq .sip_messages "$WORK/st.json")
    [ "$t" = "$m" ] || bad "$name: $m SIP messages, tshark counts $t"
    echo "$name: $m SIP messages (tshark $t)"
  fi

  # sipdump only follows REGISTER, MESSAGE, OPTIONS, INVITE and BYE (never NOTIFY)
  # and misreads IPv6 payload lengths: compare those methods over IPv4 only.
  if command -v sipdump >/dev/null && command -v tshark >/dev/null &&
     [ "$(tshark -n -r "$f" -Y ipv6 2>/dev/null | wc -l)" = 0 ]; then
    rm -f "$WORK/sd.txt"
    s=$(sipdump -p "$f" "$WORK/sd.txt" 2>/dev/null | sed -n 's/.*sniffed \([0-9]*\) logins.*/\1/p')
    m=$(jq '[to_entries[] | select(.key | test("^digest_logins\\.(REGISTER|MESSAGE|OPTIONS|INVITE|BYE)$")) | .value] | add // 0' "$WORK/st.json")
    [ "$s" = "$m" ] || bad "$name: $m digest logins (REGISTER, MESSAGE, OPTIONS, INVITE, BYE), sipdump finds $s"
    echo "$name: $m digest logins of sipdump's methods (sipdump $s)"
  fi
done

# Credentials: a malformed line is exit 2 naming FILE:LINE; the password is never printed.
f=$(ls "$CAP"/*.pcap* | head -1)
printf '# comment\n100:xscert.test\n' >"$WORK/bad.creds"
rc=0
"$XSCERT" analyze "$f" --credentials "$WORK/bad.creds" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || bad "malformed credentials: exit $rc, want 2"
grep -q "bad.creds:2" "$WORK/err" || bad "malformed credentials: the message does not name bad.creds:2"
PW=$(awk -F: '!/^#/ && NF>=3 {print $3; exit}' "$CAP/reference.creds")
rm -rf "$WORK/r"
"$XSCERT" analyze "$CAP"/*.pcap* --credentials "$CAP/reference.creds" --report-dir "$WORK/r" \
  --stats >"$WORK/out" 2>&1 || true
"$XSCERT" analyze "$CAP"/*.pcap* --credentials "$CAP/reference.creds" >>"$WORK/out" 2>&1 || true
if grep -rqF -- "$PW" "$WORK/out" "$WORK/r"; then bad "the password shows in the output or the report"; fi
exit $fail
