// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Tern",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tern", targets: ["Tern"]),
        .library(name: "TernServer", targets: ["TernServer"]),
        .executable(name: "tern", targets: ["tern"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The hot inner loops only; see DESIGN.md for why this is C.
        .target(name: "CTernKernels"),
        .target(name: "TernKernels", dependencies: ["CTernKernels"]),
        .target(
            name: "Tern",
            dependencies: ["TernKernels", .product(name: "Logging", package: "swift-log")],
            // Botchan (Natsume Soseki, Project Gutenberg, public domain): the default perplexity corpus.
            resources: [.copy("Resources/botchan.txt")]
        ),
        .target(
            name: "TernServer",
            dependencies: [
                "Tern",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tern",
            dependencies: ["Tern", "TernServer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // Linked statically (the Swift runtime, and Foundation with the CoreFoundation and ICU
            // archives its static form needs), with lld's packed relative relocations and no
            // exported symbols: only the pages a run touches become resident. Peak RSS of
            // `tern bench -p 512 -n 128` on SmolLM2 Q4_1 went from ~145,000 to ~137,000 KiB; the
            // shared Swift libraries alone were ~20 MiB resident. ternTests runs the built binary
            // as a process and so does not depend on this target (it would inherit these flags).
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-use-ld=lld",
                        "-lCoreFoundation", "-l_FoundationCollections", "-l_FoundationCShims", "-l_FoundationICU",
                        "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
                    ],
                    .when(platforms: [.linux])),
            ]
        ),
        // How the test targets find and load the real default model, shared by them.
        .target(name: "TernTestSupport", dependencies: ["Tern"], path: "Tests/TernTestSupport"),
        .testTarget(name: "TernKernelsTests", dependencies: ["TernKernels"]),
        .testTarget(name: "TernTests", dependencies: ["Tern", "TernTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TernServerTests",
            dependencies: [
                "TernServer", "Tern", "TernTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "ternTests", dependencies: ["Tern"]),
    ]
)
