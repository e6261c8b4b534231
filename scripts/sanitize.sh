#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer (with LeakSanitizer) and ThreadSanitizer,
# each in its own scratch directory (.build-asan, .build-tsan), and prints how long each took.
#
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh address    only ASan + LSan
#   scripts/sanitize.sh thread     only TSan
#
# Leak reports that are provably inside Foundation or a dependency (not Attend) are suppressed by
# scripts/lsan.supp, one commented entry per leak; leak detection itself stays on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passes=${1:-"address thread"}
for pass in $passes; do
  case "$pass" in
    address)
      scratch=.build-asan
      export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
      export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
      ;;
    thread)
      scratch=.build-tsan
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
      ;;
    *) echo "sanitize.sh: unknown pass '$pass' (address or thread)" >&2; exit 2 ;;
  esac
  start=$(date +%s)
  swift build --build-tests --sanitize="$pass" --scratch-path "$scratch"
  built=$(date +%s)
  swift test --skip-build --sanitize="$pass" --scratch-path "$scratch"
  done_at=$(date +%s)
  echo "sanitize.sh: $pass: build $((built - start)) s, tests $((done_at - built)) s" >&2
done
