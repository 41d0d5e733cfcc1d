// Matrix products with f32 activations for packed weights: each weight row is
// expanded to f32 a segment at a time (in L1) and dotted with every input vector.
//
// Used where accuracy matters more than the last bit of speed: prompt
// processing, where the batch amortises the expansion. Quantizing activations
// to 8 bits (the decode path) adds noise that a 30-layer model amplifies to
// tenths of a logit; this path does not.
#include "internal.h"

#define SEGMENT 256  // values expanded at a time: 4 rows x 1 KB stay in L1
#define TILE 4       // rows expanded together, so each input segment is read once per tile

// Byte offset of value `column` (a multiple of the block size) within a row.
static int64_t segment_offset(int format, int64_t column) {
    switch (format) {
    case TERN_F32: return column * 4;
    case TERN_F16: case TERN_BF16: return column * 2;
    case TERN_Q4_0: return column / 32 * 18;
    case TERN_Q4_1: return column / 32 * 20;
    case TERN_Q8_0: return column / 32 * 34;
    case TERN_MXFP4: return column / 32 * 17;
    case TERN_NVFP4: return column / 64 * 36;
    case TERN_TQ1_0: case TERN_TQ2_0: case TERN_T2_64: return (int64_t)tern_row_bytes(format, column);
    default: return column / 32 * 36;  // q8_1
    }
}

static int64_t row_bytes(int format, int64_t columns) { return segment_offset(format, columns); }

// Expands values [c0, c0 + n) of rows r0 ..< r0 + nr into w, zeroing the tile's
// unused rows (they then contribute nothing to a full-tile loop).
static void expand_tile(const tern_kernels *k, int format, const void *weights, int64_t stride, int64_t r0,
                        int64_t nr, int64_t c0, int64_t n, float w[TILE][SEGMENT]) {
    for (int64_t i = 0; i < TILE; i++) {
        if (i < nr) {
            k->dequantize_row(format, (const char *)weights + (r0 + i) * stride + segment_offset(format, c0), w[i], n);
        } else {
            for (int64_t j = 0; j < n; j++) w[i][j] = 0.0f;
        }
    }
}

void tern_portable_multiply_rows_float(const tern_kernels *k, int format, const void *weights, int64_t rows,
                                       int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                       int64_t batch, float *output) {
    if (format == TERN_T2_64R) {  // not row-major (ternary.h)
        tern_t2r_multiply_rows_float(k, weights, rows, columns, row_begin, row_end, input, batch, output);
        return;
    }
    float w[TILE][SEGMENT];
    const int64_t stride = row_bytes(format, columns);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += TILE) {
        const int64_t nr = row_end - r0 < TILE ? row_end - r0 : TILE;
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < nr; i++) output[b * rows + r0 + i] = 0.0f;
        for (int64_t c0 = 0; c0 < columns; c0 += SEGMENT) {
            const int64_t n = columns - c0 < SEGMENT ? columns - c0 : SEGMENT;
            expand_tile(k, format, weights, stride, r0, nr, c0, n, w);
            for (int64_t b = 0; b < batch; b++) {
                const float *x = input + b * columns + c0;
                for (int64_t i = 0; i < nr; i++) {
                    float sum = 0.0f;
                    for (int64_t j = 0; j < n; j++) sum += w[i][j] * x[j];
                    output[b * rows + r0 + i] += sum;
                }
            }
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline float hsum_float_rows(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) void tern_avx2_multiply_rows_float(
    const tern_kernels *k, int format, const void *weights, int64_t rows, int64_t columns, int64_t row_begin,
    int64_t row_end, const float *input, int64_t batch, float *output) {
    if (format == TERN_T2_64R) {
        tern_avx2_t2r_multiply_rows_float(weights, rows, columns, row_begin, row_end, input, batch, output);
        return;
    }
    if (columns % 8 != 0) {
        tern_portable_multiply_rows_float(k, format, weights, rows, columns, row_begin, row_end, input, batch, output);
        return;
    }
    float w[TILE][SEGMENT] __attribute__((aligned(32)));
    const int64_t stride = row_bytes(format, columns);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += TILE) {
        const int64_t nr = row_end - r0 < TILE ? row_end - r0 : TILE;
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < nr; i++) output[b * rows + r0 + i] = 0.0f;
        for (int64_t c0 = 0; c0 < columns; c0 += SEGMENT) {
            const int64_t n = columns - c0 < SEGMENT ? columns - c0 : SEGMENT;
            expand_tile(k, format, weights, stride, r0, nr, c0, n, w);
            for (int64_t b = 0; b < batch; b++) {
                const float *x = input + b * columns + c0;
                __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
                __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
                for (int64_t j = 0; j < n; j += 8) {
                    const __m256 xv = _mm256_loadu_ps(x + j);
                    a0 = _mm256_fmadd_ps(_mm256_load_ps(w[0] + j), xv, a0);
                    a1 = _mm256_fmadd_ps(_mm256_load_ps(w[1] + j), xv, a1);
                    a2 = _mm256_fmadd_ps(_mm256_load_ps(w[2] + j), xv, a2);
                    a3 = _mm256_fmadd_ps(_mm256_load_ps(w[3] + j), xv, a3);
                }
                float *out = output + b * rows + r0;
                out[0] += hsum_float_rows(a0);
                if (nr > 1) out[1] += hsum_float_rows(a1);
                if (nr > 2) out[2] += hsum_float_rows(a2);
                if (nr > 3) out[3] += hsum_float_rows(a3);
            }
        }
    }
}
#endif
