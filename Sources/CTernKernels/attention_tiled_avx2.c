// The AVX2 tile of the tiled prefill attention (attention_tiled.c has the
// plan). Queries are held transposed, (D, rows), so scores come out as
// (keys, rows): eight rows per vector. The running maximum, e^(s - M) and the
// sums then step eight rows at once with no horizontal reductions. Both matrix
// products are register blocks of twelve accumulators: 6 keys x 16 rows for the
// scores, 6 rows x 16 dimensions for the values (rows of sums stay (rows, D)).
#include "attention_tiled.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>

#define TERN_X86 __attribute__((target("avx2,fma,f16c")))
#define ROWS TERN_TILE_ROWS
// Key rows the buffers hold: a tile padded to whole score blocks of 6.
#define KEYS (TERN_TILE_KEYS + 2)

// e^x for x <= 0, the arguments of a softmax: x = n ln2 + r with n = round(x / ln2)
// and |r| <= ln2 / 2 (ln2 in two parts, Cody and Waite, the high one short enough
// that n times it is exact), e^r by its Taylor polynomial to degree 7 (remainder
// below 6e-9 relative) in Horner form, times 2^n built in the exponent field.
// Within 2 ulp of e^x on [-87, 0]; below -87 (e^x < 2^-125), -inf and NaN give 0,
// so masked scores weigh nothing. e^0 is exactly 1.
TERN_X86 static inline __m256 exp_nonpositive(__m256 x) {
    const __m256 low = _mm256_set1_ps(-87.0f);
    const __m256 inside = _mm256_cmp_ps(x, low, _CMP_GE_OQ);
    x = _mm256_max_ps(x, low);  // max_ps returns its second operand for NaN: n stays in range
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(0x1.715476p+0f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), r);
    __m256 e = _mm256_set1_ps(1.0f / 5040);
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f / 720));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f / 120));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f / 24));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f / 6));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(0.5f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f));
    e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(1.0f));
    // n in [-126, 0]: 2^n is a normal float.
    const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(e, _mm256_castsi256_ps(two_n)), inside);
}

TERN_X86 void tern_avx2_attention_exp(const float *x, float *y, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, exp_nonpositive(_mm256_loadu_ps(x + i)));
    if (i < count) {
        float in[8] = {0}, out[8];
        for (int64_t j = i; j < count; j++) in[j - i] = x[j];
        _mm256_storeu_ps(out, exp_nonpositive(_mm256_loadu_ps(in)));
        for (int64_t j = i; j < count; j++) y[j] = out[j - i];
    }
}

// Scores of 6 keys (rows of `keys`, D apart) by 16 query rows (`qt`, transposed,
// ROWS apart per dimension), times `scale`, into `st` (ROWS apart per key). Each
// score is one fused chain over d = 0..<D, as ggml's simd_gemm computes it.
// Twelve accumulators, two query vectors and a broadcast: 15 of the 16 registers.
TERN_X86 static inline void score_block(const float *keys, int64_t D, const float *qt, float *st, __m256 scale) {
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int64_t d = 0; d < D; d++) {
        const __m256 q0 = _mm256_load_ps(qt + d * ROWS), q1 = _mm256_load_ps(qt + d * ROWS + 8);
        for (int i = 0; i < 6; i++) {
            const __m256 k = _mm256_broadcast_ss(keys + i * D + d);
            acc[i][0] = _mm256_fmadd_ps(k, q0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(k, q1, acc[i][1]);
        }
    }
    for (int i = 0; i < 6; i++) {
        _mm256_store_ps(st + i * ROWS, _mm256_mul_ps(acc[i][0], scale));
        _mm256_store_ps(st + i * ROWS + 8, _mm256_mul_ps(acc[i][1], scale));
    }
}

// sums[r][d] += sum over keys k < n of weights[k][r] * values[k][d], for 6 rows
// (`sums` at the first row's dimension d, D apart) by 8 * V dimensions; one chain
// over k in order, as ggml's simd_gemm.
#define VALUE_BLOCK(V)                                                                                        \
    TERN_X86 static inline void value_block_##V(const float *values, int64_t D, int64_t n, const float *weights, \
                                               float *sums) {                                                  \
        __m256 acc[6][V];                                                                                      \
        for (int i = 0; i < 6; i++)                                                                            \
            for (int j = 0; j < V; j++) acc[i][j] = _mm256_loadu_ps(sums + i * D + 8 * j);                     \
        for (int64_t k = 0; k < n; k++) {                                                                      \
            __m256 v[V];                                                                                       \
            for (int j = 0; j < V; j++) v[j] = _mm256_load_ps(values + k * D + 8 * j);                          \
            for (int i = 0; i < 6; i++) {                                                                      \
                const __m256 w = _mm256_broadcast_ss(weights + k * ROWS + i);                                  \
                for (int j = 0; j < V; j++) acc[i][j] = _mm256_fmadd_ps(w, v[j], acc[i][j]);                   \
            }                                                                                                  \
        }                                                                                                      \
        for (int i = 0; i < 6; i++)                                                                            \
            for (int j = 0; j < V; j++) _mm256_storeu_ps(sums + i * D + 8 * j, acc[i][j]);                     \
    }
VALUE_BLOCK(2)
VALUE_BLOCK(1)

TERN_X86 static inline void convert_row(const uint16_t *source, float *destination, int64_t D) {
    for (int64_t d = 0; d < D; d += 8)
        _mm256_store_ps(destination + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(source + d))));
}

TERN_X86 void tern_avx2_attend_tile(const tern_tiled_problem *p, int64_t first_row, int64_t rows) {
    const int64_t D = p->head_dim;
    // Rows padded to whole value blocks (6), then to whole score blocks (16): at most ROWS.
    const int64_t value_rows = (rows + 5) / 6 * 6, width = (value_rows + 15) / 16 * 16, vectors = width / 8;
    float qt[TERN_TILE_MAX_HEAD_DIM * ROWS] __attribute__((aligned(32)));         // (D, rows) queries
    float sums[ROWS * TERN_TILE_MAX_HEAD_DIM] __attribute__((aligned(32)));       // (rows, D) sums of values
    float keys[KEYS * TERN_TILE_MAX_HEAD_DIM] __attribute__((aligned(32)));       // (key, D)
    float values[KEYS * TERN_TILE_MAX_HEAD_DIM] __attribute__((aligned(32)));     // (key, D)
    float st[KEYS * ROWS] __attribute__((aligned(32)));       // (key, rows) scores, then e^(s - M)
    float position[ROWS] __attribute__((aligned(32)));        // each row's own position (exact in f32)
    float rescales[ROWS] __attribute__((aligned(32)));
    __m256 M[ROWS / 8], S[ROWS / 8];

    // Padding rows repeat the last row's position with a zero query: finite, unused.
    for (int64_t r = 0; r < width; r++) {
        const int64_t row = first_row + (r < rows ? r : rows - 1);
        position[r] = (float)tern_tiled_position(p, row);
        const float *q = tern_tiled_query(p, row);
        for (int64_t d = 0; d < D; d++) {
            qt[d * ROWS + r] = r < rows ? q[d] : 0.0f;
            sums[r * D + d] = 0.0f;
        }
    }
    for (int64_t j = 0; j < vectors; j++) {
        M[j] = _mm256_set1_ps(-INFINITY);
        S[j] = _mm256_setzero_ps();
    }
    const __m256 scale = _mm256_set1_ps(p->scale);
    const int64_t first = tern_tiled_position(p, first_row), last = tern_tiled_position(p, first_row + rows - 1);
    for (int64_t start = 0; start <= last; start += TERN_TILE_KEYS) {
        const int64_t n = last + 1 - start < TERN_TILE_KEYS ? last + 1 - start : TERN_TILE_KEYS;
        const int64_t n6 = (n + 5) / 6 * 6;  // score blocks are 6 keys; the extra ones are masked
        for (int64_t k = 0; k < n; k++) {
            const int64_t offset = tern_tiled_cache_offset(p, start + k);
            convert_row(p->keys + offset, keys + k * D, D);
            convert_row(p->values + offset, values + k * D, D);
        }
        for (int64_t k = n; k < n6; k++)
            for (int64_t d = 0; d < D; d += 8) _mm256_store_ps(keys + k * D + d, _mm256_setzero_ps());

        for (int64_t k = 0; k < n6; k += 6)
            for (int64_t r = 0; r < width; r += 16) score_block(keys + k * D, D, qt + r, st + k * ROWS + r, scale);
        // Causal mask, where some row does not see every key of the tile; padding keys are
        // nobody's (a full tile's sit at the next tile's first positions).
        for (int64_t k = n; k < n6; k++)
            for (int64_t j = 0; j < vectors; j++) _mm256_store_ps(st + k * ROWS + 8 * j, _mm256_set1_ps(-INFINITY));
        if (start + n - 1 > first) {
            for (int64_t k = 0; k < n; k++) {
                const __m256 key = _mm256_set1_ps((float)(start + k));
                for (int64_t j = 0; j < vectors; j++) {
                    const __m256 hidden = _mm256_cmp_ps(key, _mm256_load_ps(position + 8 * j), _CMP_GT_OQ);
                    const __m256 s = _mm256_load_ps(st + k * ROWS + 8 * j);
                    _mm256_store_ps(st + k * ROWS + 8 * j, _mm256_blendv_ps(s, _mm256_set1_ps(-INFINITY), hidden));
                }
            }
        }
        // Running maximum and sum, eight rows at a time. A row that sees no key here keeps
        // its maximum (every row saw position 0 in the first tile, so it is finite): the
        // rescale is e^0 = 1 and its weights e^-inf = 0, as if the row skipped the tile.
        for (int64_t j = 0; j < vectors; j++) {
            __m256 tile_max = _mm256_set1_ps(-INFINITY);
            for (int64_t k = 0; k < n6; k++) tile_max = _mm256_max_ps(tile_max, _mm256_load_ps(st + k * ROWS + 8 * j));
            const __m256 next = _mm256_max_ps(M[j], tile_max);
            const __m256 rescale = exp_nonpositive(_mm256_sub_ps(M[j], next));  // 0 at the first tile
            M[j] = next;
            __m256 total = _mm256_setzero_ps();
            for (int64_t k = 0; k < n6; k++) {
                const __m256 w = exp_nonpositive(_mm256_sub_ps(_mm256_load_ps(st + k * ROWS + 8 * j), next));
                _mm256_store_ps(st + k * ROWS + 8 * j, w);
                total = _mm256_add_ps(total, w);
            }
            S[j] = _mm256_add_ps(_mm256_mul_ps(S[j], rescale), total);
            _mm256_store_ps(rescales + 8 * j, rescale);
        }
        for (int64_t r = 0; r < value_rows; r++) {
            if (rescales[r] == 1.0f) continue;
            const __m256 m = _mm256_set1_ps(rescales[r]);
            for (int64_t d = 0; d < D; d += 8) _mm256_store_ps(sums + r * D + d, _mm256_mul_ps(_mm256_load_ps(sums + r * D + d), m));
        }
        for (int64_t r = 0; r < value_rows; r += 6) {
            int64_t d = 0;
            for (; d + 16 <= D; d += 16) value_block_2(values + d, D, n, st + r, sums + r * D + d);
            if (d < D) value_block_1(values + d, D, n, st + r, sums + r * D + d);
        }
    }
    float totals[ROWS] __attribute__((aligned(32)));
    for (int64_t j = 0; j < vectors; j++) _mm256_store_ps(totals + 8 * j, S[j]);
    for (int64_t r = 0; r < rows; r++) {
        float *out = tern_tiled_output(p, first_row + r);
        const __m256 inverse = _mm256_set1_ps(1.0f / totals[r]);
        for (int64_t d = 0; d < D; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_load_ps(sums + r * D + d), inverse));
    }
}
#endif
