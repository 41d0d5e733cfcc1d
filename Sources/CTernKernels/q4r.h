// q4_0r / q4_1r: q4_0 and q4_1 weights repacked in memory (never in files) so
// that the x86 kernels read eight rows at once with no shuffles.
//
// Rows [0, 8G) (G = rows / 8) form groups of eight; rows [8G, rows) follow as
// plain q4_0 / q4_1 rows. Group g, block b (32 columns) is one group block of
// 8 * 18 = 144 bytes (q4_0r) or 8 * 20 = 160 bytes (q4_1r) at
// (g * blocks + b) * group block bytes:
//   d[8]      f16 scales of rows 0...7
//   m[8]      f16 minimums of rows 0...7 (q4_1r only)
//   qs[4][32] nibbles: register k (k < 4) holds bytes 4k...4k + 3 of rows 0...3's
//             qs, then the same bytes of rows 4...7. Low nibbles are the rows'
//             values 4k...4k + 3, high nibbles their values 16 + 4k...16 + 4k + 3.
// That is the order x86_tiles_q4i.h's q4i_expand builds before it splits the
// nibbles, so one u8 * s8 multiply-add of register k's low (high) nibbles with a
// broadcast of activation bytes 4k... (16 + 4k...) gives all eight rows' partial
// sums. A group takes the bytes its eight rows took (so row r >= 8G starts at
// r * row bytes, as in q4), and the repacking is lossless.
#ifndef TERN_Q4R_H
#define TERN_Q4R_H

#include "tern_kernels.h"

#define TERN_Q4R_ROWS 8

static inline int tern_is_q4r(int format) { return format == TERN_Q4_0R || format == TERN_Q4_1R; }

// The ggml format a repacked format came from (and whose activations it reads);
// any other format maps to itself.
static inline int tern_q4r_base(int format) {
    return format == TERN_Q4_0R ? TERN_Q4_0 : format == TERN_Q4_1R ? TERN_Q4_1 : format;
}

// Bytes of one group block: eight rows' blocks.
static inline size_t tern_q4r_group_block_bytes(int has_min) { return has_min ? 160 : 144; }

// Blocks [0, blocks) of `n` (1...8) q4 rows at `first` (`row_bytes` apart) as
// group blocks at `out`; rows n...7 are zero (their sums are zero).
void tern_q4r_pack_group(int has_min, const uint8_t *first, size_t row_bytes, int n, int64_t blocks, uint8_t *out);

// Portable rows and f32-activation rows of the repacked formats (q4r_portable.c).
void tern_q4r_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                     int64_t row_begin, int64_t row_end, const void *activations, int64_t batch,
                                     float *output);
void tern_q4r_multiply_rows_float(const tern_kernels *k, int format, const void *weights, int64_t rows,
                                  int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                  int64_t batch, float *output);

#endif
