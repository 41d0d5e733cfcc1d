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
//
// t2_64r (TERN_T2_64R, in memory only: tern_ternary_repack writes it at load
// time from t2_64, same byte count, or from tq1_0/tq2_0, whose 256-value blocks
// become four 64-value blocks with the same f16 scale: lossless, 2.25 bits per
// weight instead of 1.69/2.06) feeds lookup-table kernels (as bitnet.cpp's
// TL1): a pshufb maps 32 four-bit indices to 32 table bytes at once, so the
// 32 indices must share a table, i.e. come from 32 rows at the same columns.
// Rows [0, 32G) (G = rows / 32) form groups of 32; rows [32G, rows) follow as
// plain t2_64 rows. Group g, block b (64 columns) is 576 bytes at (g * blocks +
// b) * 576: the 32 rows' f16 scales in row order, then 16 chunks of 32 bytes.
// Byte j of chunk k belongs to row sigma(j) = j, j + 8, j - 8, j for j in
// [0, 8), [8, 16), [16, 24), [24, 32) (so that the kernels' unpacklo/unpackhi
// leave rows in order); its low nibble holds the codes of values 2k and 2k + 1
// (c0 | c1 << 2), its high nibble those of values 2k + 32 and 2k + 33.
// Prepared activations for t2_64r: the t2_64 blocks, then per pair of values
// (2p, 2p + 1) of the whole vector a 32-byte table: the low bytes, then the
// high bytes, of the 16 int16 sums T[c0 | c1 << 2] = (c0 - 1) q[2p] + (c1 - 1)
// q[2p + 1]. A block's integer sum is then the sum of 32 lookups (|sum| <=
// 32 * 508, int16 is enough) and its dot product d_w * d * sum: no s term.
#ifndef TERN_TERNARY_H
#define TERN_TERNARY_H

#include "tern_kernels.h"

static inline int tern_is_ternary(int format) {
    return format == TERN_TQ1_0 || format == TERN_TQ2_0 || format == TERN_T2_64 || format == TERN_T2_64R;
}

// Values per weight block (and per activation group).
static inline int64_t tern_ternary_block_values(int format) {
    return format == TERN_T2_64 || format == TERN_T2_64R ? 64 : 256;
}

// Bytes per weight block.
static inline size_t tern_ternary_block_bytes(int format) {
    return format == TERN_TQ1_0 ? 54 : format == TERN_TQ2_0 ? 66 : 18;
}

// t2_64r: rows per group, bytes per group and block, and the tables' offset
// and size in one prepared vector.
#define TERN_T2R_ROWS 32
#define TERN_T2R_BLOCK_BYTES 576
static inline size_t tern_t2r_tables_offset(int64_t columns) { return (size_t)(columns / 32) * 40; }
static inline size_t tern_ternary_prepared_bytes(int format, int64_t columns) {
    return tern_t2r_tables_offset(columns) + (format == TERN_T2_64R ? (size_t)columns * 16 : 0);
}

// Portable implementations (ternary_portable.c), shared by every path.
void tern_ternary_quantize_row(int format, const float *source, void *destination, int64_t count);
void tern_ternary_dequantize_row(int format, const void *source, float *destination, int64_t count);
void tern_ternary_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_t2r_build_tables(const void *prepared, int64_t columns);
void tern_t2r_multiply_rows_float(const tern_kernels *k, const void *weights, int64_t rows, int64_t columns,
                                  int64_t row_begin, int64_t row_end, const float *input, int64_t batch,
                                  float *output);
#if defined(__x86_64__) || defined(__i386__)
void tern_avx2_t2r_multiply_rows_float(const void *weights, int64_t rows, int64_t columns, int64_t row_begin,
                                       int64_t row_end, const float *input, int64_t batch, float *output);
void tern_avx512vnni_t2r_multiply_rows_float(const void *weights, int64_t rows, int64_t columns, int64_t row_begin,
                                             int64_t row_end, const float *input, int64_t batch, float *output);
#endif
void tern_ternary_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                         int64_t row_begin, int64_t row_end, const void *activations,
                                         int64_t batch, float *output);

#endif
