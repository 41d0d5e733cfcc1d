// Matrix rows for the x86 kernels: batched dot products and the row loop.
// Part of x86_body.h (same macros, same target features); include nowhere else.

#include "x86_q4r.h"

// MARK: - Four activation vectors at once
// For a batch of float rows, eight weights are widened once and used against
// four activation vectors, reading the weight row once per four vectors.
// (Quantized q4 / q8 rows go through the tiles in x86_tiles.h instead.)

#define TERN_X4 4

// f32, f16 and bf16 rows: eight weights widened once, multiplied into four vectors.
#define TERN_DOT_FLOAT_X4(NAME, TYPE, LOAD, SCALAR)                                                   \
    static void NAME(const TYPE *w, const float *x, int64_t n, float *out, int64_t out_stride) {      \
        __m256 acc[TERN_X4];                                                                          \
        for (int v = 0; v < TERN_X4; v++) acc[v] = _mm256_setzero_ps();                               \
        int64_t i = 0;                                                                                \
        for (; i + 8 <= n; i += 8) {                                                                  \
            prefetch_ahead(w + i);                                                                    \
            const __m256 wv = LOAD(w + i);                                                            \
            for (int v = 0; v < TERN_X4; v++)                                                         \
                acc[v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + v * n + i), acc[v]);                 \
        }                                                                                             \
        for (int v = 0; v < TERN_X4; v++) {                                                           \
            float sum = hsum8(acc[v]);                                                                \
            for (int64_t t = i; t < n; t++) sum += SCALAR(w[t]) * x[v * n + t];                       \
            out[v * out_stride] = sum;                                                                \
        }                                                                                             \
    }
static inline float identity_f32(float x) { return x; }
TERN_DOT_FLOAT_X4(dot_f32_x4, float, _mm256_loadu_ps, identity_f32)
TERN_DOT_FLOAT_X4(dot_f16_x4, uint16_t, load_f16x8, tern_half_to_float)
TERN_DOT_FLOAT_X4(dot_bf16_x4, uint16_t, load_bf16x8, tern_bfloat_to_float)
#undef TERN_DOT_FLOAT_X4

// MARK: - Matrix rows

// output[b * rows + r] for rows [r0, r1) and vectors [b0, b0 + 4).
static void rows_x4(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                    int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b0, float *output) {
    if (format == TERN_MXFP4 || format == TERN_NVFP4) {
        fp4_rows_x4(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b0, output);
        return;
    }
    if (tern_is_ternary(format)) {
        ternary_rows_x4(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b0, output);
        return;
    }
    const float *xf = (const float *)activations + b0 * columns;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        float *out = output + b0 * rows + r;
        switch (format) {
        case TERN_F32: dot_f32_x4((const float *)row, xf, columns, out, rows); break;
        case TERN_F16: dot_f16_x4((const uint16_t *)row, xf, columns, out, rows); break;
        case TERN_BF16: dot_bf16_x4((const uint16_t *)row, xf, columns, out, rows); break;
        default: return;
        }
    }
}

// Two adjacent q4 rows against one vector: rows of a few hundred bytes are
// short, so sharing the loop and the final reductions between two rows saves
// a noticeable share of the per-row cost (+25% at 576 columns). Only for rows
// up to TERN_SHORT_ROW bytes, where the two rows still read as one stream:
// with 960-byte rows, interleaving two rows halved DRAM throughput.
#define TERN_SHORT_ROW 512

static inline __attribute__((always_inline)) void dot_q4_2rows(const uint8_t *row, size_t row_bytes, const int has_min,
                                                               const tern_act_block *y, int64_t blocks, float *out) {
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 mins0 = _mm_setzero_ps(), mins1 = _mm_setzero_ps();
    for (int64_t i = 0; i < blocks; i++, row += stride, y++) {
        prefetch_ahead(row + row_bytes);
        q4_block(row, has_min, y, &acc0, &mins0);
        q4_block(row + row_bytes, has_min, y, &acc1, &mins1);
    }
    // (sums of row 0, sums of row 1) in one pass of horizontal adds.
    __m256 pair = _mm256_hadd_ps(acc0, acc1);  // per 128-bit lane: r0 r0 r1 r1
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(pair), _mm256_extractf128_ps(pair, 1));
    s = _mm_hadd_ps(s, s);  // r0 r1 r0 r1
    out[0] = _mm_cvtss_f32(s) + _mm_cvtss_f32(_mm_movehdup_ps(mins0));
    out[1] = _mm_cvtss_f32(_mm_movehdup_ps(s)) + _mm_cvtss_f32(_mm_movehdup_ps(mins1));
}

// output[b * rows + r] for rows [r0, r1) and one vector b.
static void rows_x1(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                    int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b, float *output) {
    if (format == TERN_MXFP4 || format == TERN_NVFP4) {
        fp4_rows_x1(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b, output);
        return;
    }
    if (tern_is_ternary(format)) {
        ternary_rows_x1(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b, output);
        return;
    }
    const int64_t blocks = columns / 32;
    const float *xf = (const float *)activations + b * columns;
    const tern_act_block *xq = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
    float *out = output + b * rows;
    if (tern_is_q4r(format)) {
        q4r_rows(format == TERN_Q4_1R, weights, row_bytes, rows, blocks, r0, r1, xq, out);
        return;
    }
    if ((format == TERN_Q4_0 || format == TERN_Q4_1) && row_bytes <= TERN_SHORT_ROW) {
        for (; r0 + 2 <= r1; r0 += 2) {
            const uint8_t *row = weights + (size_t)r0 * row_bytes;
            if (format == TERN_Q4_1) dot_q4_2rows(row, row_bytes, 1, xq, blocks, out + r0);
            else dot_q4_2rows(row, row_bytes, 0, xq, blocks, out + r0);
        }
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        switch (format) {
        case TERN_F32: out[r] = dot_f32((const float *)row, xf, columns); break;
        case TERN_F16: out[r] = dot_f16((const uint16_t *)row, xf, columns); break;
        case TERN_BF16: out[r] = dot_bf16((const uint16_t *)row, xf, columns); break;
        case TERN_Q4_0: out[r] = dot_q4(row, 0, xq, blocks); break;
        case TERN_Q4_1: out[r] = dot_q4(row, 1, xq, blocks); break;
        case TERN_Q8_0: out[r] = dot_q8(row, sizeof(tern_block_q8_0), 2, xq, blocks); break;
        case TERN_Q8_1: out[r] = dot_q8(row, sizeof(tern_block_q8_1), 4, xq, blocks); break;
        default: return;
        }
    }
}

// Rows per tile for batches: a tile of weights (a few KB) stays in L1 while
// every group of four vectors passes over it, and four vectors' activations
// stay in L1 while the tile's rows pass under them.
#define TERN_ROW_TILE 16

void TERN_FN(multiply_rows)(int format, const void *weights, int64_t rows, int64_t columns,
                            int64_t row_begin, int64_t row_end, const void *activations,
                            int64_t batch, float *output) {
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_bytes = format == TERN_F32 || format == TERN_F16 || format == TERN_BF16
                                 ? (size_t)columns * sizeof(float)
                                 : tern_portable_prepared_bytes(format, columns);
    if (row_bytes == 0) return;
    if (batch == 1) {
        rows_x1(format, weights, row_bytes, rows, columns, row_begin, row_end, activations, act_bytes, 0, output);
        return;
    }
    // Whole groups of four vectors go through the register tiles (exact integer
    // block sums); the rest keep the single-vector kernels' arithmetic, so no
    // result depends on the batch it came in.
    const int64_t grouped = batch / TERN_X4 * TERN_X4;
    if (grouped > 0 && tern_is_q4r(format)) {  // the tiles read the groups as they are (q4r.h)
        q4i_multiply_layout(format == TERN_Q4_1R, 1, weights, row_bytes, rows, columns / 32, row_begin, row_end,
                            activations, act_bytes / sizeof(tern_act_block), grouped, output);
        for (int64_t b = grouped; b < batch; b++)
            rows_x1(format, weights, row_bytes, rows, columns, row_begin, row_end, activations, act_bytes, b, output);
        return;
    }
    if (grouped > 0 && tiles_multiply(format, weights, row_bytes, rows, columns, row_begin, row_end, activations,
                                      act_bytes, grouped, output)) {
        for (int64_t b = grouped; b < batch; b++)
            rows_x1(format, weights, row_bytes, rows, columns, row_begin, row_end, activations, act_bytes, b, output);
        return;
    }
    for (int64_t r0 = row_begin; r0 < row_end; r0 += TERN_ROW_TILE) {
        const int64_t r1 = r0 + TERN_ROW_TILE < row_end ? r0 + TERN_ROW_TILE : row_end;
        int64_t b = 0;
        for (; b + TERN_X4 <= batch; b += TERN_X4)
            rows_x4(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b, output);
        for (; b < batch; b++)
            rows_x1(format, weights, row_bytes, rows, columns, r0, r1, activations, act_bytes, b, output);
    }
}
