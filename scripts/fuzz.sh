#!/usr/bin/env bash
# Fuzzing Attend's readers and parsers with libFuzzer (Swift on Linux). Not part of the normal
# build or of scripts/test: the harness package in Fuzz/ is built with
# `-sanitize=fuzzer,address` into .build-fuzz/, so only it carries those flags.
#
#   scripts/fuzz.sh list                        the harnesses (FuzzTarget cases)
#   scripts/fuzz.sh build                       build the fuzzer binary
#   scripts/fuzz.sh run TARGET [SECONDS] [ARGS] fuzz TARGET (default 600 s) under nice -n 19 with
#                                               -rss_limit_mb=2048 and a 30 s per-input timeout (the machine is shared; a real hang exceeds it),
#                                               seeded from Tests/Fixtures/fuzz/TARGET (and the
#                                               matching files of Tests/Fixtures/io); new inputs go
#                                               to .build-fuzz/corpus/TARGET, crashes, leaks, timeouts
#                                               and OOMs to .build-fuzz/artifacts/TARGET/
#   ATTEND_FUZZ_NICE=N (default 19)             the niceness of run and merge (0 when other work
#                                               at normal priority starves a short merge)
#   scripts/fuzz.sh merge TARGET                minimize committed + new corpus (-merge=1) back into
#                                               Tests/Fixtures/fuzz/TARGET, keeping crash-/timeout-/slow-unit-/
#                                               oom-/leak- inputs (renamed by what they found)
#
# `swift test` replays every file under Tests/Fixtures/fuzz/<target>/ through the same harness
# body (FuzzCorpusReplayTests). Adding a harness: a case in Sources/_AttendFuzzTargets/FuzzTarget.swift
# and a seed directory Tests/Fixtures/fuzz/<case>/; this script needs no change, except a seed
# pattern in seeds_for below if fixtures elsewhere make good seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch="$root/.build-fuzz"
binary="$scratch/release/AttendFuzz"

targets() {
  sed -n 's/^    case \([a-z0-9_]*\)$/\1/p' Sources/_AttendFuzzTargets/FuzzTarget.swift
}

seeds_for() {
  case "$1" in
    npy) ls Tests/Fixtures/io/*.npy ;;
    npz) ls Tests/Fixtures/io/*.npz ;;
    safetensors) ls Tests/Fixtures/io/*.safetensors ;;
    *) true ;;
  esac
}

build() {
  (cd Fuzz && swift build -c release --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -g -Xswiftc -use-ld=lld)
}

require_target() {
  targets | grep -qx "$1" || { echo "fuzz.sh: unknown target '$1' (known: $(targets | tr '\n' ' '))" >&2; exit 2; }
}

command=${1:-}
case "$command" in
  list) targets ;;
  build) build ;;
  run)
    target=${2:?usage: scripts/fuzz.sh run TARGET [SECONDS] [libFuzzer args]}
    seconds=${3:-600}
    require_target "$target"
    shift $(( $# >= 3 ? 3 : 2 ))
    [ -x "$binary" ] || build
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$corpus" "$artifacts" "Tests/Fixtures/fuzz/$target"
    for seed in $(seeds_for "$target"); do cp -n "$seed" "$corpus/" 2>/dev/null || true; done
    # SWIFT_BACKTRACE=enable=no: a Swift trap goes straight to libFuzzer's handler, which writes
    # the input at once (Swift's backtracer, run under nice on a loaded machine, took minutes and
    # then tripped ASan in its own memory reader). Leak detection stays on, with the toolchain
    # leaks of scripts/lsan.supp suppressed (Data(contentsOf:) of an empty file leaks 4096 bytes
    # inside FoundationEssentials, which the wordpiece harness reaches on its first, empty input).
    SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp" \
      ATTEND_FUZZ_TARGET="$target" exec nice -n "${ATTEND_FUZZ_NICE:-19}" "$binary" \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 -max_total_time="$seconds" \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$@" "$corpus" "Tests/Fixtures/fuzz/$target"
    ;;
  merge)
    target=${2:?usage: scripts/fuzz.sh merge TARGET}
    require_target "$target"
    [ -x "$binary" ] || build
    committed="Tests/Fixtures/fuzz/$target"
    merged="$scratch/merged/$target"
    rm -rf "$merged" && mkdir -p "$merged" "$committed" "$scratch/corpus/$target"
    SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp" \
      ATTEND_FUZZ_TARGET="$target" nice -n "${ATTEND_FUZZ_NICE:-19}" "$binary" -merge=1 -rss_limit_mb=2048 -timeout=10 \
      "$merged" "$committed" "$scratch/corpus/$target"
    find "$committed" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'timeout-*' ! -name 'oom-*' ! -name 'leak-*' ! -name 'slow-unit-*' -delete
    cp "$merged"/* "$committed/" 2>/dev/null || true
    for found in "$scratch/artifacts/$target"/*; do
      [ -f "$found" ] && cp -n "$found" "$committed/"
    done
    echo "fuzz.sh: $committed now holds $(ls "$committed" | wc -l) inputs, $(du -sh "$committed" | cut -f1)"
    ;;
  *)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
