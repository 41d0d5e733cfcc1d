// Ternary weight formats: values are (code - 1) * d with code in {0, 1, 2}
// (so -d, 0, +d), as in BitNet b1.58 and TriLM models.
//
// ggml's formats, bit for bit (blocks of 256 values, scale d = the block's
// absolute maximum, codes = round(x / d) + 1):
// - tq2_0 (66 bytes): qs[64], d. Byte qs[32h + m] holds, in bits 2n..2n+1, the
//   code of value 128h + 32n + m (h < 2, n < 4, m < 32).
// - tq1_0 (54 bytes): qs[48], qh[4], d. Each byte packs five codes (four in qh)
//   as a base-3 fraction: byte = ceil(v * 256 / 243) for v = the codes read as
//   a base-3 number, first code most significant; code n of a byte is
//   ((uint8_t)(byte * 3^n) * 3) >> 8. qs[m] (m < 32) holds values m + 32n;
//   qs[32 + m] (m < 16) values 160 + m + 16n; qh[j] values 240 + j + 4n.
//
// Tern's own format, for rows that are not multiples of 256 (a 576-wide model):
// - t2_64 (18 bytes, type id 0x7400, Tern-only): d, then qs[16]. Byte qs[j]
//   holds, in bits 2n..2n+1, the code of value j + 16n (n < 4). One 16-byte load
//   broadcast to both halves of a 256-bit register and shifted by (0, 2) or
//   (4, 6) then masked gives values 0-31 or 32-63 in order; on NEON four shifts
//   of one 16-byte load give the four runs of 16. Codes follow BitNet b1.58's
//   absmean rule: gamma = mean |x| over the block, code = clamp(round(x / gamma),
//   -1, 1) + 1; d is then the mean |x| of the values coded +-1 (the least-squares
//   scale for those codes), so weights that are already ternary (+-a, 0) come
//   back exactly as +-a (after f16 rounding of a).
//
// Prepared activations for these formats: the usual 40-byte blocks of 32 int8,
// but quantized per weight block (256 values for tq1_0/tq2_0, as llama.cpp's
// q8_K; 64 for t2_64): every block of a group carries the group's f32 scale d =
// amax / 127, q = round-half-even(x * 127 / amax), and the group's first block
// carries s = -d * sum(q) over the whole group (the others 0). Then one weight
// block's dot product is d_w * (d * sum(code * q) + s): the code offset of 1
// folds into s, and the integer sum needs no per-32 scaling.
#ifndef TERN_TERNARY_H
#define TERN_TERNARY_H

#include "tern_kernels.h"

static inline int tern_is_ternary(int format) {
    return format == TERN_TQ1_0 || format == TERN_TQ2_0 || format == TERN_T2_64;
}

// Values per weight block (and per activation group).
static inline int64_t tern_ternary_block_values(int format) { return format == TERN_T2_64 ? 64 : 256; }

// Bytes per weight block.
static inline size_t tern_ternary_block_bytes(int format) {
    return format == TERN_TQ1_0 ? 54 : format == TERN_TQ2_0 ? 66 : 18;
}

// Portable implementations (ternary_portable.c), shared by every path.
void tern_ternary_quantize_row(int format, const float *source, void *destination, int64_t count);
void tern_ternary_dequantize_row(int format, const void *source, float *destination, int64_t count);
void tern_ternary_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_ternary_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                         int64_t row_begin, int64_t row_end, const void *activations,
                                         int64_t batch, float *output);

#endif
