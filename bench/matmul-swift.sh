#!/bin/sh
# Builds bench/swift/main.swift against this checkout's TernKernels in release
# mode, in a throwaway package under /tmp (the project's Package.swift is not
# touched), and runs it.
set -e
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg=/tmp/tern-kernels-bench
mkdir -p "$pkg/Sources/bench"
ln -sfn "$root/Sources/CTernKernels" "$pkg/Sources/CTernKernels"
ln -sfn "$root/Sources/TernKernels" "$pkg/Sources/TernKernels"
cp "$root/bench/swift/main.swift" "$pkg/Sources/bench/main.swift"
cat > "$pkg/Package.swift" <<'PKG'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "TernKernelsBench",
    targets: [
        .target(name: "CTernKernels"),
        .target(name: "TernKernels", dependencies: ["CTernKernels"]),
        .executableTarget(name: "bench", dependencies: ["TernKernels"]),
    ]
)
PKG
cd "$pkg" && swift build -c release 2>&1 | grep -E "error|warning:" || true
"$pkg/.build/release/bench"
