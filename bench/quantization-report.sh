#!/usr/bin/env bash
# Produces QUANTIZATION.md's table: one row per weight format on the default model, with
# bits per weight, file size, perplexity in Tern and in llama.cpp on the same file (where
# llama.cpp loads it), and pp/tg speed of both, measured side by side in one run.
#
#   bench/quantization-report.sh LLAMA_BIN_DIR [FORMAT...]
#
# LLAMA_BIN_DIR holds llama.cpp's llama-perplexity and llama-bench (built elsewhere; nothing
# here builds them). FORMATs default to every format `tern quantize` writes. Every file is
# made by `tern quantize` from the default model dequantized to F32 (exact from its Q4_1
# weights, so F32 is the true reference). Settings: THREADS (2), CTX (512), CHUNKS (8),
# PROMPT (512), GEN (128), REPS (3), WORK (scratch folder, default a temporary one).
set -euo pipefail

if [[ $# -lt 1 || ! -x "$1/llama-perplexity" || ! -x "$1/llama-bench" ]]; then
    echo "usage: $0 LLAMA_BIN_DIR [FORMAT...]  (a folder with llama-perplexity and llama-bench)" >&2
    exit 2
fi
llama=$1
shift
formats=("$@")
[[ ${#formats[@]} -gt 0 ]] || formats=(f32 f16 q8_0 q4_1 q4_0 mxfp4 nvfp4 tq2_0 tq1_0 t2_64)
threads=${THREADS:-2} ctx=${CTX:-512} chunks=${CHUNKS:-8} prompt=${PROMPT:-512} gen=${GEN:-128} reps=${REPS:-3}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "Building tern (release)…" >&2
swift build -c release >&2
tern="$(swift build -c release --show-bin-path)/tern"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
corpus="$root/Sources/Tern/Resources/botchan.txt"

"$tern" pull >&2
source_model="${TERN_HOME:-$HOME/.cache/tern}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
[[ -f "$work/f32.gguf" ]] || "$tern" quantize "$source_model" "$work/f32.gguf" --type f32 >&2

# The last "PPL = x +/- y" of a run, or "—" when the tool failed (e.g. a format it lacks).
ppl() { grep -oE 'PPL = [0-9.]+ \+/- [0-9.]+' | tail -1 | sed 's/PPL = //' || true; }
speed() {  # markdown table on stdin, test name -> "mean ± sd"
    awk -F'|' -v t="$1" '{ gsub(/ /, "", $7); if ($7 == t) { gsub(/^ +| +$/, "", $8); print $8 } }' | head -1
}

echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "- tern: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); llama.cpp: $("$llama/llama-bench" --version 2>&1 | grep -m1 -oE 'commit [0-9a-f]+' || echo unknown)"
echo "- perplexity: bundled Botchan text, -c $ctx, first $chunks chunks; speed: -t $threads -p $prompt -n $gen -r $reps"
echo
echo "| format | bits/weight | file MiB | Tern PPL | llama.cpp PPL | Tern pp$prompt | llama.cpp pp$prompt | Tern tg$gen | llama.cpp tg$gen | tg ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for format in "${formats[@]}"; do
    file="$work/$format.gguf"
    # The summary line of `tern quantize` gives the bits per weight of the whole file.
    if [[ $format == f32 ]]; then  # the baseline itself: nothing to convert
        summary="32.00 bits/weight"
    else
        summary=$("$tern" quantize "$work/f32.gguf" "$file" --type "$format" -t "$threads" 2>&1) \
            || { echo "| $format | (tern quantize failed: $(tail -1 <<<"$summary")) |"; continue; }
    fi
    bytes=$(stat -c %s "$file")
    bpw=$(grep -oE '[0-9.]+ bits/weight' <<<"$summary" | tail -1 | cut -d' ' -f1 || true)
    tern_ppl=$("$tern" eval perplexity --model "$file" -c "$ctx" --chunks "$chunks" -t "$threads" 2>&1 | ppl || true)
    llama_ppl=$("$llama/llama-perplexity" -m "$file" -f "$corpus" -c "$ctx" --chunks "$chunks" -t "$threads" 2>&1 | ppl || true)
    tern_bench=$("$tern" bench -m "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" 2>/dev/null || true)
    llama_bench=$("$llama/llama-bench" -m "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" 2>/dev/null || true)
    tp=$(speed "pp$prompt" <<<"$tern_bench"); lp=$(speed "pp$prompt" <<<"$llama_bench")
    tt=$(speed "tg$gen" <<<"$tern_bench"); lt=$(speed "tg$gen" <<<"$llama_bench")
    ratio=—
    if [[ -n "$tt" && -n "$lt" ]]; then ratio=$(awk -v a="${tt%% *}" -v b="${lt%% *}" 'BEGIN { printf "%.2f", a / b }'); fi
    printf '| %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |\n' "$format" "${bpw:-?}" \
        "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "${tern_ppl:-—}" "${llama_ppl:-—}" \
        "${tp:-—}" "${lp:-—}" "${tt:-—}" "${lt:-—}" "$ratio"
done
