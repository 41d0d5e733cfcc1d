#!/bin/sh
# q4_0 / q4_1 rows vs the same weights repacked (q4_0r / q4_1r) in products,
# built like a SwiftPM release C target (-O3, no -march); old and new alternate.
# Usage: bench/q4r.sh [rounds] [0 hot | 1 cold] [threads] [batch]
set -e
cd "$(dirname "$0")/.."
src=Sources/CTernKernels
clang -O3 -I$src/include $src/*.c bench/q4r.c -lpthread -lm -o /tmp/tern-q4r
/tmp/tern-q4r "$@"
