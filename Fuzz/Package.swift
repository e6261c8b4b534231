// swift-tools-version:6.0
// The libFuzzer binary. Not part of the normal build: scripts/fuzz.sh builds it with
// `-sanitize=fuzzer,address`, so those flags reach Attend only here.
import Foundation
import PackageDescription

// The repository root is this package's parent; SwiftPM names a path dependency after its directory.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "AttendFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "AttendFuzz",
            dependencies: [.product(name: "_AttendFuzzTargets", package: root)]
        )
    ]
)
