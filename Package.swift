// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Attend",
    products: [
        // MARK: - Public API
        .library(name: "Attend", targets: ["Attend"]),
        .library(name: "AttendReference", targets: ["AttendReference"]),
        .library(name: "AttendModels", targets: ["AttendModels"]),
        .executable(name: "attend", targets: ["AttendCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // MARK: - Implementation details
        .systemLibrary(
            name: "CBLAS",
            path: "Modules/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),

        // Vector kernels behind a runtime CPU check (per-function target attributes, no flags).
        .target(name: "_AttendKernels"),

        // MARK: - Libraries
        .target(
            name: "Attend",
            dependencies: [
                "CBLAS",
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

        // MARK: - Command-line tool
        .executableTarget(
            name: "AttendCLI",
            dependencies: [
                "Attend",
                "AttendReference",
                "AttendModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Unit test bundles
        .testTarget(name: "AttendTests", dependencies: ["Attend", "AttendReference"]),
        .testTarget(name: "AttendReferenceTests", dependencies: ["AttendReference"]),
        .testTarget(name: "AttendCLITests", dependencies: ["AttendCLI", "Attend", "AttendReference"]),
        .testTarget(name: "AttendModelsTests", dependencies: ["AttendModels", "Attend", "AttendReference"]),
    ]
)
