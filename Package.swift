// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Attend",
    products: [
        // MARK: - Public API
        .library(name: "Attend", targets: ["Attend"]),
        .library(name: "AttendReference", targets: ["AttendReference"]),
        .library(name: "AttendVerification", targets: ["AttendVerification"]),
        .library(name: "AttendModels", targets: ["AttendModels"]),
        .library(name: "AttendServer", targets: ["AttendServer"]),
        // The fuzz harness bodies, for the libFuzzer package in Fuzz/ (scripts/fuzz.sh).
        .library(name: "_AttendFuzzTargets", targets: ["_AttendFuzzTargets"]),
        .executable(name: "attend", targets: ["AttendCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // MARK: - Implementation details
        .systemLibrary(
            name: "CBLAS",
            path: "Modules/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // zlib's raw inflate, driven by a bounded loop when reading .npz members.
        .systemLibrary(
            name: "Zlib",
            path: "Modules/Zlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // Vector kernels behind a runtime CPU check (per-function target attributes, no flags).
        .target(name: "_AttendKernels"),

        // MARK: - Libraries
        .target(
            name: "Attend",
            dependencies: [
                "CBLAS",
                "Zlib",
                "_AttendKernels",
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(
            name: "AttendReference",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")]
        ),
        // Tokenizers and pretrained models, built only on Attend's public API.
        .target(name: "AttendModels", dependencies: ["Attend"]),

        // The OpenAI-compatible HTTP routes over the models (Hummingbird 2), with request batching.
        .target(
            name: "AttendServer",
            dependencies: [
                "Attend",
                "AttendModels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The verification idea, once: error bounds and their propagation, error measurement,
        // the engine ↔ reference bridges and the `attend compare` cases. Imported by the tool and
        // every test target, by neither library.
        .target(
            name: "AttendVerification",
            dependencies: ["Attend", "AttendReference", .product(name: "RealModule", package: "swift-numerics")]
        ),

        // What each fuzz harness does with an input; replayed over the committed corpora by the tests.
        .target(name: "_AttendFuzzTargets", dependencies: ["Attend", "AttendModels"]),

        // MARK: - Command-line tool
        .executableTarget(
            name: "AttendCLI",
            dependencies: [
                "Attend",
                "AttendReference",
                "AttendVerification",
                "AttendModels",
                "AttendServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: - Unit test bundles
        .testTarget(
            name: "AttendTests",
            dependencies: ["Attend", "AttendReference", "AttendVerification", "_AttendFuzzTargets"]),
        .testTarget(name: "AttendReferenceTests", dependencies: ["AttendReference"]),
        .testTarget(
            name: "AttendVerificationTests", dependencies: ["AttendVerification", "Attend", "AttendReference"]),
        .testTarget(name: "AttendModelsTests", dependencies: ["AttendModels", "Attend", "AttendReference"]),
        .testTarget(
            name: "AttendCLITests", dependencies: ["AttendCLI", "Attend", "AttendReference", "AttendVerification"]),
        .testTarget(
            name: "AttendServerTests",
            dependencies: [
                "AttendServer", "AttendModels", "Attend",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        // The DocC articles' code: every snippet compiled and run (scripts/check_doc_snippets.py
        // checks the articles show exactly this code).
        .testTarget(
            name: "AttendDocumentationTests",
            dependencies: ["Attend", "AttendReference", "AttendVerification", "AttendModels"]),
    ]
)

// Documentation: `swift package generate-documentation` comes from swift-docc-plugin, added only
// when ATTEND_DOCS is set (scripts/docs.sh sets it). Otherwise every clean `swift build` would
// compile the plugin's two scripts (~11 s of CPU, measured) and every package depending on Attend
// would fetch it and swift-docc-symbolkit.
if Context.environment["ATTEND_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
