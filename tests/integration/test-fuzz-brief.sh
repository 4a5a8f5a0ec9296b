#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-fuzz-brief.sh — every fuzz target runs briefly under libFuzzer (fuzz/fuzz-ci), after its corpus replay.
#
# Builds the targets with clang + libFuzzer + ASan/UBSan in a build directory
# of its own under the test build directory, replays corpus/<target>/, then
# fuzzes each target for FUZZ_BRIEF_SECONDS (default 20) from a scratch copy of
# its corpus. Skips (77) when clang cannot link libFuzzer. About 4 minutes on
# 2 cores: the build, then 7 targets x 20 s.
set -uo pipefail
: "${XSCERT_SRCDIR:?}" "${XSCERT_BUILDDIR:?}"
export FUZZ_CI_BUILD="$XSCERT_BUILDDIR/fuzz-ci"
exec bash "$XSCERT_SRCDIR/fuzz/fuzz-ci" "${FUZZ_BRIEF_SECONDS:-20}"
