#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer (with LeakSanitizer) and ThreadSanitizer,
# each in its own scratch directory (.build-asan, .build-tsan), and prints how long each took.
#
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh address    only ASan + LSan
#   scripts/sanitize.sh thread     only TSan
#
# Any report fails the run: ASan stops at the first memory error (halt_on_error=1), LSan makes
# the process exit non-zero on a leak, TSan stops at the first race (halt_on_error=1); `swift test`
# then exits non-zero and so does this script (set -e), so scripts/test fails with it.
# Reports that are provably inside Foundation, Dispatch, libc or a dependency (not Attend) are
# suppressed by scripts/lsan.supp and scripts/tsan.supp, one commented entry per report with the
# stack that proves it; leak and race detection themselves stay on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passes=${1:-"address thread"}
for pass in $passes; do
  # One pass's options must not leak into the next (the memory-growth suite reads ASAN_OPTIONS).
  unset ASAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS
  case "$pass" in
    address)
      scratch=.build-asan
      export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
      export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
      ;;
    thread)
      scratch=.build-tsan
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp"
      ;;
    *) echo "sanitize.sh: unknown pass '$pass' (address or thread)" >&2; exit 2 ;;
  esac
  start=$(date +%s)
  swift build --build-tests --sanitize="$pass" --scratch-path "$scratch"
  built=$(date +%s)
  # As in scripts/test: the memory-growth suite measures the process's resident memory, so it runs
  # alone, after the rest (under ASan it is disabled: the quarantine holds freed memory).
  swift test --skip-build --sanitize="$pass" --scratch-path "$scratch" --skip MemoryGrowthTests
  swift test --skip-build --sanitize="$pass" --scratch-path "$scratch" --filter MemoryGrowthTests
  done_at=$(date +%s)
  echo "sanitize.sh: $pass: build $((built - start)) s, tests $((done_at - built)) s (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
