// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Tern",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tern", targets: ["Tern"]),
        .executable(name: "tern", targets: ["tern"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        .executableTarget(
            name: "tern",
            dependencies: ["Tern", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "TernKernelsTests", dependencies: ["TernKernels"]),
        .testTarget(name: "TernTests", dependencies: ["Tern"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ternTests", dependencies: ["tern", "Tern"]),
    ]
)
