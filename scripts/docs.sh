#!/usr/bin/env bash
# Builds the DocC documentation as a static website (offline; swift-docc-plugin is a package
# dependency): one folder per catalog under the output directory, default .build/docs/
# (inside .build/, so never committed), each under the base path /<Target>/ so that one static
# web server shows all three. View it through any static web server, e.g.
#
#   scripts/docs.sh && python3 -m http.server --directory .build/docs 8000
#   → http://localhost:8000/Attend/documentation/attend/ (also AttendModels/documentation/attendmodels/,
#     AttendVerification/documentation/attendverification/)
#
# (the pages load their content with JavaScript, which browsers refuse over file://).
# Options: --output DIR; --analyze (also print DocC's notes, e.g. undocumented symbols);
# --coverage (write documentation-coverage.json and print the per-symbol coverage summary).
set -euo pipefail
cd "$(dirname "$0")/.."

output=.build/docs
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    --analyze) extra+=(--analyze); shift ;;
    --coverage) extra+=(--experimental-documentation-coverage --coverage-summary-level detailed); shift ;;
    *) echo "docs.sh: unknown argument $1 (expected --output DIR, --analyze, --coverage)" >&2; exit 2 ;;
  esac
done
mkdir -p "$output"
output="$(cd "$output" && pwd)"

# The libraries with a catalog (Sources/<Target>/<Target>.docc).
for target in Attend AttendModels AttendVerification; do
  rm -rf "$output/$target"
  log="$output/$target.log"
  ATTEND_DOCS=1 swift package --allow-writing-to-directory "$output" \
    generate-documentation --target "$target" \
    --transform-for-static-hosting --hosting-base-path "$target" --output-path "$output/$target" \
    ${extra[@]+"${extra[@]}"} 2>&1 | tee "$log"
  # The catalog (articles, links, images) and the source files' doc comments must be
  # warning-free. The one warning allowed is SwiftPM's about a file inside the ZIPFoundation
  # dependency ("'zipfoundation': found 1 file(s) which are unhandled"), which is not ours.
  catalog_warnings=$(grep -A1 '^warning:' "$log" | grep -c -E -- '--> [^ ]*\.md:' || true)
  our_warnings=$(grep '^warning:' "$log" | grep -v -c "^warning: 'zipfoundation': " || true)
  echo "docs.sh: $target: $catalog_warnings warning(s) in the catalog, $our_warnings in all (doc comments included)"
  if [ "$our_warnings" -gt 0 ]; then
    echo "docs.sh: fix the warnings above (Sources/$target: its catalog and its doc comments)" >&2
    exit 1
  fi
  lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
  echo "docs.sh: $target → $output/$target (serve $output, open /$target/documentation/$lower/)"
done
