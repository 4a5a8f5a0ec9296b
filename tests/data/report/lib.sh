# SPDX-License-Identifier: MIT
# lib.sh — what the report integration tests share: a scratch directory removed on exit,
# the sample results, and headless Chromium with no network and no profile of its own.
# Sourced by tests/integration/test-report-*.sh.
set -uo pipefail
: "${XSCERT:?XSCERT is the built xscert}" "${XSCERT_SRCDIR:?}"
REPORT_DATA="$XSCERT_SRCDIR/tests/data/report"
REPORT_TMP=$(mktemp -d /tmp/xscert-report-test.XXXXXX)
trap 'rm -rf "$REPORT_TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

# chromium_run ARGS...: one headless Chromium, killed after 400 s (a guard against hangs, not a timing check: a busy 2-core CI machine is slow); a fresh profile each time.
# No network: Chromium is pointed at a proxy that does not exist, and the page's own
# Content-Security-Policy forbids every fetch anyway.
chromium_run() {
	local profile
	profile=$(mktemp -d "$REPORT_TMP/chromium.XXXXXX")
	timeout -k 5 400 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --disable-dev-shm-usage \
		--proxy-server=127.0.0.1:9 --user-data-dir="$profile" "$@" 2>"$profile.log"
}
