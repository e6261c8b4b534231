#!/usr/bin/env bash
# The bounded experiment behind Tests/Fixtures/io/unfinished_deflate.npz (see
# NPZHostileArchiveTests and the README's "Guarantees"): does ZIPFoundation's own extraction
# return on a deflate stream that stops without its final block? Builds a throwaway executable
# against the ZIPFoundation checkout the package resolved (its version is printed), runs
# `Archive.extract` on the crafted file in a subprocess under `timeout`, and reports whether it
# returned or was killed, with its wall and CPU time.
#
#   scripts/check_zipfoundation_inflate.sh [SECONDS [FILE...]]
#       SECONDS before an extraction is killed (default 60); FILEs default to the two crafted
#       archives, Tests/Fixtures/io/unfinished_deflate.npz and open_stored_block.npz
#
# Needs a resolved package (`swift build` once): it reuses .build/checkouts/ZIPFoundation. The
# throwaway package is built in .build-zipcheck/ (kept, so a second run does not rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
limit=${1:-60}
shift $(($# > 0 ? 1 : 0))
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(Tests/Fixtures/io/unfinished_deflate.npz Tests/Fixtures/io/open_stored_block.npz)
checkout=""
for scratch in .build .build-asan .build-tsan; do
  [ -d "$scratch/checkouts/ZIPFoundation" ] && { checkout="$root/$scratch/checkouts/ZIPFoundation"; break; }
done
[ -n "$checkout" ] || { echo "check_zipfoundation_inflate.sh: run 'swift build' first (no ZIPFoundation checkout)" >&2; exit 2; }
version=$(git -C "$checkout" describe --tags 2>/dev/null || echo unknown)
work="$root/.build-zipcheck"
mkdir -p "$work/Sources/ZIPExtract"
cat >"$work/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "ZIPExtract",
    dependencies: [.package(path: "$checkout")],
    targets: [.executableTarget(name: "ZIPExtract", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")])]
)
SWIFT
cat >"$work/Sources/ZIPExtract/main.swift" <<'SWIFT'
import Foundation
import ZIPFoundation

// Extracts every entry of the archive with ZIPFoundation's own reader and inflater.
let archive = try Archive(url: URL(fileURLWithPath: CommandLine.arguments[1]), accessMode: .read)
for entry in archive {
    var bytes = 0
    do {
        _ = try archive.extract(entry, consumer: { bytes += $0.count })
        print("\(entry.path): extracted \(bytes) bytes")
    } catch {
        print("\(entry.path): error after \(bytes) bytes: \(error)")
    }
}
SWIFT
swift build -c release --package-path "$work" >&2
for file in "${files[@]}"; do
  echo "ZIPFoundation $version, Archive.extract on $(basename "$file"), killed after $limit s:"
  set +e
  /usr/bin/time -f "  wall %e s, user %U s, system %S s" timeout "$limit" "$work/.build/release/ZIPExtract" "$file"
  status=$?
  set -e
  case $status in
    0) echo "  returned (exit 0)" ;;
    124) echo "  did NOT return within $limit s (killed by timeout)" ;;
    *) echo "  exited with status $status" ;;
  esac
done
