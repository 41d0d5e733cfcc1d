#!/bin/sh
# Weight-streaming throughput of the matmul kernels, built like a SwiftPM
# release C target (-O3, no -march). Usage: bench/matvec.sh [path] [ggml type id]
set -e
cd "$(dirname "$0")/.."
src=Sources/CTernKernels
clang -O3 -I$src/include $src/*.c bench/matvec.c -lpthread -lm -o /tmp/tern-matvec
/tmp/tern-matvec "$@"
