#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/report/run.sh — how long `xscert report render` takes and how big the outputs are,
# for results of 100, 1,000 and 10,000 exchanges (tests/data/report/make-samples.py --big),
# and how long headless Chromium takes to load the HTML (when chromium is installed).
# Usage: bench/report/run.sh [XSCERT]   (default: build/harness/cli/xscert; use a build
# without sanitizers for meaningful times). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
X=${1:-build/harness/cli/xscert}
T=$(mktemp -d /tmp/xscert-bench-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
CHROMIUM=$(command -v chromium || true)

echo "| exchanges | result.json | format | output | render ms | chromium load ms |"
echo "|---:|---:|---|---:|---:|---:|"
for n in 100 1000 10000; do
	python3 tests/data/report/make-samples.py --big $n "$T/r.json"
	size=$(stat -c %s "$T/r.json")
	for f in json junit md html; do
		s=$(date +%s%N)
		"$X" report render --format $f -o "$T/out.$f" "$T/r.json"
		r=$(ms "$s")
		load=-
		if [ $f = html ] && [ -n "$CHROMIUM" ]; then
			s=$(date +%s%N)
			timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
				--disable-background-networking --disable-component-update --disable-sync \
				--proxy-server=127.0.0.1:9 --user-data-dir="$T/prof$n" \
				--screenshot="$T/s.png" --window-size=1280,1000 "file://$T/out.html" 2>/dev/null
			load=$(ms "$s")
		fi
		echo "| $n | $size | $f | $(stat -c %s "$T/out.$f") | $r | $load |"
	done
done
