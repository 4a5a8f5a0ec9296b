#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-analyze-external.sh — `xscert analyze` over every third-party capture in
# $XSCERT_SHARED/data/captures-external (skip when absent): never a crash, exit 0
# or 1 for a real capture, exit 2 naming the file for one that is not a capture.
# Prints xscert's and tshark's SIP message counts side by side (informational:
# tshark also decodes tunnels xscert does not, GTP, GRE, ERSPAN, SCTP, WebSocket).
set -uo pipefail
: "${XSCERT:?}"
DIR=${XSCERT_SHARED:-}/data/captures-external
[ -d "$DIR" ] || { echo "no $DIR: skip"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
n=0
while IFS= read -r -d '' f; do
  case "$f" in *.pcap|*.pcapng|*.cap) ;; *) continue ;; esac
  n=$((n + 1))
  rc=0
  timeout 120 "$XSCERT" analyze "$f" --stats >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "FAIL: $f: exit $rc"; tail -5 "$WORK/err"; fail=1; continue
  fi
  m=$(awk '$1=="sip_messages" {print $2}' "$WORK/err")
  echo "$(basename "$(dirname "$f")")/$(basename "$f"): exit $rc, $m SIP messages"
done < <(find "$DIR" -type f -print0 | sort -z)
[ "$n" -gt 0 ] || { echo "no captures in $DIR: skip"; exit 77; }

# Not captures: exit 2 with the file named.
printf 'not a capture\n' >"$WORK/text.pcap"
: >"$WORK/empty.pcap"
for f in "$WORK/text.pcap" "$WORK/empty.pcap" "$WORK/missing.pcap"; do
  rc=0
  "$XSCERT" analyze "$f" >/dev/null 2>"$WORK/err" || rc=$?
  [ "$rc" = 2 ] || { echo "FAIL: $f: exit $rc, want 2"; fail=1; }
  grep -q "$f" "$WORK/err" || { echo "FAIL: $f: the message does not name the file"; fail=1; }
done
exit $fail
