#!/usr/bin/env bash
# Runs llama.cpp's llama-bench and `tern bench` alternately on the same models with the
# same settings, prints both tables and the ratios tern/llama for each test.
#
#   bench/compare-llama.sh LLAMA_BENCH [MODEL.gguf...]
#
# LLAMA_BENCH is the path of a llama-bench binary (built elsewhere; nothing here builds it).
# With no MODEL, uses Tern's default model (obtaining it with `tern pull` if needed).
# Settings can be overridden: THREADS (2), PROMPT (512), GEN (128), REPS (5);
# SCRATCH_PATH sets swift build's --scratch-path.
set -euo pipefail

if [[ $# -lt 1 || ! -x "$1" ]]; then
    echo "usage: $0 LLAMA_BENCH [MODEL.gguf...]   (LLAMA_BENCH: path of an executable llama-bench)" >&2
    exit 2
fi
llama_bench=$1
shift
threads=${THREADS:-2} prompt=${PROMPT:-512} gen=${GEN:-128} reps=${REPS:-5}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "Building tern (release)…" >&2
build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
"${build[@]}" >&2
tern="$("${build[@]}" --show-bin-path)/tern"

models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
    "$tern" pull >&2
    models=("${TERN_HOME:-$HOME/.cache/tern}/models/SmolLM2-135M-Instruct.Q4_1.gguf")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "- tern: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- settings: -t $threads -p $prompt -n $gen -r $reps"
echo

for model in "${models[@]}"; do
    name=$(basename "$model")
    echo "## $name"
    echo
    echo "llama-bench:"
    echo
    "$llama_bench" -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" -o md 2>/dev/null | tee "$out/llama.md"
    echo
    echo "tern bench:"
    echo
    "$tern" bench -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" --bandwidth 2>/dev/null | tee "$out/tern.md"
    echo
    python3 - "$out/llama.md" "$out/tern.md" <<'PY'
import sys

def speeds(path):
    """test name -> (mean, sd) from the 7-column rows of a llama-bench style table."""
    rows = {}
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and "±" in cells[6] and cells[5][:2] in ("pp", "tg"):
            mean, sd = (float(x) for x in cells[6].split("±"))
            rows[cells[5]] = (mean, sd)
    return rows

llama, tern = speeds(sys.argv[1]), speeds(sys.argv[2])
print("| test | llama.cpp t/s | tern t/s | tern/llama |")
print("| ---: | ---: | ---: | ---: |")
for test in llama:
    if test in tern:
        (lm, ls), (tm, ts) = llama[test], tern[test]
        print(f"| {test} | {lm:.2f} ± {ls:.2f} | {tm:.2f} ± {ts:.2f} | {tm / lm:.2f} |")
PY
    echo
done
