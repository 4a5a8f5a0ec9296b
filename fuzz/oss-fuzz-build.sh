#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# oss-fuzz-build.sh — build every fuzz target the way OSS-Fuzz and ClusterFuzzLite do.
#
# Honours the variables those builders set:
#   CC, CXX            compilers (clang)
#   CFLAGS, CXXFLAGS   sanitizer and coverage flags (e.g. -fsanitize=address,fuzzer-no-link)
#   LIB_FUZZING_ENGINE the engine to link: "-fsanitize=fuzzer" or an archive
#                      (AFL++'s libAFLDriver.a, honggfuzz's ...)
#   SRC                where the sources are checked out (default: this repository's parent)
#   OUT                where the targets go (required)
#   WORK               scratch space (default: ${TMPDIR:-/tmp}/xscert-oss-fuzz)
# Produces, per target: $OUT/fuzz-<target>, fuzz-<target>_seed_corpus.zip,
# fuzz-<target>.dict and fuzz-<target>.options.
#
# Local check (what docs/fuzzing.md shows):
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#     OUT=/tmp/out fuzz/oss-fuzz-build.sh
#
# How: meson builds the project's static libraries and the targets' objects
# with $CFLAGS (so they carry the coverage instrumentation), as for the replay
# build; each target's object is then linked here with $LIB_FUZZING_ENGINE
# instead of the replay driver, as OSS-Fuzz requires (the engine's main).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
: "${SRC:=$(dirname "$repo")}"
: "${OUT:?set OUT to the output directory}"
: "${CC:=clang}"
: "${CXX:=clang++}"
: "${CFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${WORK:=${TMPDIR:-/tmp}/xscert-oss-fuzz}"
mkdir -p "$OUT" "$WORK"
build=$WORK/meson

# The targets' list comes from fuzz/meson.build (one file per target).
targets=()
for f in "$here"/fuzz-*.c; do
  t=$(basename "$f" .c)
  case $t in fuzz-main|fuzz-util) continue ;; esac
  targets+=("${t#fuzz-}")
done

# -Dfuzzing=none builds the libraries and the targets' objects; the linked
# replay binaries are a by-product we do not ship. No -Werror: OSS-Fuzz's
# compilers are newer than ours.
opts=(-Dbuildtype=plain -Dtests=disabled -Dfuzzing=none -Ddefault_library=static
      -Db_lundef=false "-Dc_args=$CFLAGS" "-Dc_link_args=$CFLAGS")
if [ -f "$build/build.ninja" ]; then
  CC=$CC meson setup --reconfigure "$build" "$repo" "${opts[@]}" >/dev/null
else
  CC=$CC meson setup "$build" "$repo" "${opts[@]}" >/dev/null
fi

# Which targets are enabled (their modules have landed): meson knows.
enabled=()
for t in "${targets[@]}"; do
  if ninja -C "$build" -t query "fuzz/fuzz-$t" >/dev/null 2>&1; then
    enabled+=("$t")
  else
    echo "oss-fuzz-build: fuzz-$t not built (its module has not landed)" >&2
  fi
done
[ ${#enabled[@]} -gt 0 ] || { echo "oss-fuzz-build: no target to build" >&2; exit 1; }

# Building the replay binaries builds the objects and every library they need.
ninja -C "$build" "${enabled[@]/#/fuzz/fuzz-}" >/dev/null

# Every internal static library, and every system library the project uses.
mapfile -t libs < <(find "$build" -name 'libxs_*.a' -not -path '*/fuzz/*' | sort)
# shellcheck disable=SC2046
syslibs=$(pkg-config --libs libosip2 libpcap libcrypto libxml-2.0 yaml-0.1 jansson \
  libmicrohttpd libcurl)

for t in "${enabled[@]}"; do
  # shellcheck disable=SC2086
  $CXX $CFLAGS -o "$OUT/fuzz-$t" \
    "$build/fuzz/fuzz-$t.p/fuzz-$t.c.o" "$build/fuzz/fuzz-$t.p/fuzz-util.c.o" \
    -Wl,--start-group "${libs[@]}" -Wl,--end-group \
    $LIB_FUZZING_ENGINE $syslibs -lpthread -lm
  cp "$here/$t.dict" "$OUT/fuzz-$t.dict"
  cp "$here/$t.options" "$OUT/fuzz-$t.options"
  rm -f "$OUT/fuzz-${t}_seed_corpus.zip"
  if [ -d "$repo/corpus/$t" ]; then
    if command -v zip >/dev/null; then
      (cd "$repo/corpus/$t" && zip -q -j "$OUT/fuzz-${t}_seed_corpus.zip" ./*)
    else
      (cd "$repo/corpus/$t" && python3 -m zipfile -c "$OUT/fuzz-${t}_seed_corpus.zip" ./*)
    fi
  fi
  echo "oss-fuzz-build: $OUT/fuzz-$t"
done
