// MXFP4 and NVFP4 rows for the x86 kernels. Part of x86_body.h (same macros,
// same target features); include nowhere else.
//
// Codes become int8 with one pshufb each (the 16 doubled E2M1 values fit a
// 128-bit table) and meet the int8 activations in the u8 * s8 dot product.
// Both formats read the second, reordered copy of the prepared activations
// that tern_fp4_finish_prepare writes (fp4.h), so that a weight vector's low
// and high nibbles are used where they lie, without shuffling them into order.

#include "fp4.h"

#define TERN_FP4_X4 4         // vectors per pass in batches, as TERN_X4
#define TERN_FP4_SHORT_ROW 512  // two rows at once up to this many bytes, as TERN_SHORT_ROW

static inline __m256i fp4_table(void) {
    return _mm256_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
                            0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
}

// MARK: - MXFP4
// Two blocks at a time: their 16 code bytes side by side in one vector, whose
// low nibbles are both blocks' values 0...15 and high nibbles values 16...31,
// meet the prepared pair entry (fp4.h), which holds the activations in that
// order. Per two blocks that is one insert, three ops to split the nibbles,
// two lookups, and one int32 conversion, instead of two of each.
//
// With values offset by 12 they are unsigned (0...24), so the u8 * s8 dot
// takes them as they are, no sign moved: Σ (v + 12) q = Σ v q + 12 Σ q, and
// the prepared s = -12 dy Σ q (a quarter per lane) takes the excess back out
// before the block's scale dx multiplies the lane into the sum.

// Both halves' u8 * s8 products summed into eight int32 lanes. maddubs pairs
// stay below 2 * 24 * 127, so adding two in int16 before widening is safe.
#ifndef TERN_DOT2_U8S8
#define TERN_DOT2_U8S8(a, x, b, y)                                                                    \
    _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16((a), (x)), _mm256_maddubs_epi16((b), (y))), \
                      _mm256_set1_epi16(1))
#endif

static inline __m256i mxfp4_offset_table(void) {
    return _mm256_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                            12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0);
}

// The offset values of blocks b0 and b1: (low nibbles, high nibbles), and
// their half scales, four lanes each.
typedef struct { __m256i low, high; __m256 dx; } mxfp4_pair_values;

static inline __attribute__((always_inline)) mxfp4_pair_values mxfp4_unpack(const uint8_t *b0, const uint8_t *b1,
                                                                            __m256i table) {
    const __m256i codes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(b0 + 1))),
                                                  _mm_loadu_si128((const __m128i *)(b1 + 1)), 1);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    mxfp4_pair_values v;
    v.low = _mm256_shuffle_epi8(table, _mm256_and_si256(codes, nibble));
    v.high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble));
    v.dx = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(tern_e8m0_half_table[b0[0]].value)),
                                _mm_loadu_ps(tern_e8m0_half_table[b1[0]].value), 1);
    return v;
}

// acc + dx * (dy * Σ (v + 12) q + s / 4), lane by lane.
static inline __attribute__((always_inline)) __m256 mxfp4_pair_dot(mxfp4_pair_values v, const tern_mxfp4_pair *y,
                                                                   __m256 acc) {
    const __m256i sumi = TERN_DOT2_U8S8(v.low, _mm256_loadu_si256((const __m256i *)y->low), v.high,
                                        _mm256_loadu_si256((const __m256i *)y->high));
    const __m256 lane = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_loadu_ps(y->d), _mm256_loadu_ps(y->s));
    return _mm256_fmadd_ps(lane, v.dx, acc);
}

// An odd last block pairs with itself: the pair entry's other half is all
// zeros (activations, dy and s), so it adds nothing.
static float dot_mxfp4(const uint8_t *row, const tern_act_block *y, int64_t blocks) {
    const __m256i table = mxfp4_offset_table();
    const tern_mxfp4_pair *pairs = tern_mxfp4_pairs(y, blocks);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 <= blocks; i += 4, row += 4 * 17) {
        prefetch_ahead(row);  // 68 bytes per iteration: about one line
        acc0 = mxfp4_pair_dot(mxfp4_unpack(row, row + 17, table), pairs + i / 2, acc0);
        acc1 = mxfp4_pair_dot(mxfp4_unpack(row + 34, row + 51, table), pairs + i / 2 + 1, acc1);
    }
    if (i + 2 <= blocks) {
        acc0 = mxfp4_pair_dot(mxfp4_unpack(row, row + 17, table), pairs + i / 2, acc0);
        i += 2, row += 34;
    }
    if (i < blocks) acc1 = mxfp4_pair_dot(mxfp4_unpack(row, row, table), pairs + i / 2, acc1);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

// Two adjacent short rows against one vector, as dot_q4_2rows (x86_rows.h).
static void dot_mxfp4_2rows(const uint8_t *row, size_t row_bytes, const tern_act_block *y, int64_t blocks,
                            float *out) {
    const __m256i table = mxfp4_offset_table();
    const tern_mxfp4_pair *pairs = tern_mxfp4_pairs(y, blocks);
    const uint8_t *next = row + row_bytes;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 2 <= blocks; i += 2, row += 34, next += 34) {
        if ((i & 2) == 0) prefetch_ahead(next);
        acc0 = mxfp4_pair_dot(mxfp4_unpack(row, row + 17, table), pairs + i / 2, acc0);
        acc1 = mxfp4_pair_dot(mxfp4_unpack(next, next + 17, table), pairs + i / 2, acc1);
    }
    if (i < blocks) {
        acc0 = mxfp4_pair_dot(mxfp4_unpack(row, row, table), pairs + i / 2, acc0);
        acc1 = mxfp4_pair_dot(mxfp4_unpack(next, next, table), pairs + i / 2, acc1);
    }
    __m256 pair = _mm256_hadd_ps(acc0, acc1);  // per 128-bit lane: r0 r0 r1 r1
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(pair), _mm256_extractf128_ps(pair, 1));
    s = _mm_hadd_ps(s, s);  // r0 r1 r0 r1
    out[0] = _mm_cvtss_f32(s);
    out[1] = _mm_cvtss_f32(_mm_movehdup_ps(s));
}

// Four vectors at `y`, `y_bytes` apart.
static void dot_mxfp4_x4(const uint8_t *row, const tern_act_block *y, size_t y_bytes, int64_t blocks, float *out,
                         int64_t out_stride) {
    const __m256i table = mxfp4_offset_table();
    const tern_mxfp4_pair *pairs[TERN_FP4_X4];
    __m256 acc[TERN_FP4_X4];
    for (int v = 0; v < TERN_FP4_X4; v++) {
        pairs[v] = tern_mxfp4_pairs((const tern_act_block *)(const void *)((const uint8_t *)y + v * y_bytes), blocks);
        acc[v] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < blocks; i += 2, row += 34) {
        if ((i & 2) == 0) prefetch_ahead(row);
        const mxfp4_pair_values values = mxfp4_unpack(row, i + 1 < blocks ? row + 17 : row, table);
        for (int v = 0; v < TERN_FP4_X4; v++) acc[v] = mxfp4_pair_dot(values, pairs[v] + i / 2, acc[v]);
    }
    for (int v = 0; v < TERN_FP4_X4; v++) out[v * out_stride] = hsum8(acc[v]);
}

// MARK: - NVFP4
// A block's 32 code bytes in one vector: byte 8s + j holds values j (low
// nibble) and 8 + j (high nibble) of sub-block s, so the low nibbles are
// values 0...7 of every sub-block and the high ones values 8...15, which the
// prepared group entry (fp4.h) holds in that order. Both land in the same
// int32 lanes, two per sub-block, so they add up before widening.

// The four sub-block half scales, each in two lanes, by table.
static inline __m256 nvfp4_scales(const uint8_t *d) {
    const __m128 s01 = _mm_loadh_pi(_mm_castpd_ps(_mm_load_sd((const double *)(const void *)tern_ue4m3_half_table[d[0]].value)),
                                    (const __m64 *)(const void *)tern_ue4m3_half_table[d[1]].value);
    const __m128 s23 = _mm_loadh_pi(_mm_castpd_ps(_mm_load_sd((const double *)(const void *)tern_ue4m3_half_table[d[2]].value)),
                                    (const __m64 *)(const void *)tern_ue4m3_half_table[d[3]].value);
    return _mm256_insertf128_ps(_mm256_castps128_ps256(s01), s23, 1);
}

// The block's doubled E2M1 values: (low nibbles, high nibbles).
typedef struct { __m256i low, high; } nvfp4_values;

static inline __attribute__((always_inline)) nvfp4_values nvfp4_unpack(const uint8_t *block, __m256i table) {
    const __m256i codes = _mm256_loadu_si256((const __m256i *)(block + 4));
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    nvfp4_values v;
    v.low = _mm256_shuffle_epi8(table, _mm256_and_si256(codes, nibble));
    v.high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble));
    return v;
}

// Eight int32 lanes, two per sub-block, of Σ value · q. The values are signed
// here, so their sign moves onto q for the u8 * s8 instruction.
static inline __attribute__((always_inline)) __m256i nvfp4_sums(nvfp4_values v, const tern_nvfp4_group *y) {
    const __m256i qlow = _mm256_loadu_si256((const __m256i *)y->low);
    const __m256i qhigh = _mm256_loadu_si256((const __m256i *)y->high);
    return TERN_DOT2_U8S8(_mm256_abs_epi8(v.low), _mm256_sign_epi8(qlow, v.low), _mm256_abs_epi8(v.high),
                          _mm256_sign_epi8(qhigh, v.high));
}

static inline __attribute__((always_inline)) __m256 nvfp4_block(const uint8_t *block, const tern_nvfp4_group *y,
                                                                __m256i table, __m256 acc) {
    const __m256 scale = _mm256_mul_ps(nvfp4_scales(block), _mm256_loadu_ps(y->d));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(nvfp4_sums(nvfp4_unpack(block, table), y)), scale, acc);
}

static float dot_nvfp4(const uint8_t *row, const tern_act_block *y, int64_t blocks) {
    const __m256i table = fp4_table();
    const tern_nvfp4_group *groups = tern_nvfp4_groups(y, 2 * blocks);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 2 <= blocks; i += 2, row += 72) {
        prefetch_ahead(row);
        acc0 = nvfp4_block(row, groups + i, table, acc0);
        acc1 = nvfp4_block(row + 36, groups + i + 1, table, acc1);
    }
    if (i < blocks) acc0 = nvfp4_block(row, groups + i, table, acc0);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

// Four vectors at `y`, `y_bytes` apart.
static void dot_nvfp4_x4(const uint8_t *row, const tern_act_block *y, size_t y_bytes, int64_t blocks, float *out,
                         int64_t out_stride) {
    const __m256i table = fp4_table();
    const tern_nvfp4_group *groups[TERN_FP4_X4];
    __m256 acc[TERN_FP4_X4];
    for (int v = 0; v < TERN_FP4_X4; v++) {
        groups[v] = tern_nvfp4_groups((const tern_act_block *)(const void *)((const uint8_t *)y + v * y_bytes), 2 * blocks);
        acc[v] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < blocks; i++, row += 36) {
        prefetch_ahead(row);
        const __m256 dx = nvfp4_scales(row);
        const nvfp4_values values = nvfp4_unpack(row, table);
        for (int v = 0; v < TERN_FP4_X4; v++) {
            const __m256 scale = _mm256_mul_ps(dx, _mm256_loadu_ps(groups[v][i].d));
            acc[v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(nvfp4_sums(values, groups[v] + i)), scale, acc[v]);
        }
    }
    for (int v = 0; v < TERN_FP4_X4; v++) out[v * out_stride] = hsum8(acc[v]);
}

// MARK: - Rows

// output[b * rows + r] for rows [r0, r1) and one vector b (x86_rows.h's rows_x1).
static void fp4_rows_x1(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                        int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b,
                        float *output) {
    const tern_act_block *xq = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
    float *out = output + b * rows;
    if (format == TERN_MXFP4) {
        if (row_bytes <= TERN_FP4_SHORT_ROW) {
            for (; r0 + 2 <= r1; r0 += 2) dot_mxfp4_2rows(weights + (size_t)r0 * row_bytes, row_bytes, xq, columns / 32, out + r0);
        }
        for (int64_t r = r0; r < r1; r++) out[r] = dot_mxfp4(weights + (size_t)r * row_bytes, xq, columns / 32);
    } else {
        for (int64_t r = r0; r < r1; r++) out[r] = dot_nvfp4(weights + (size_t)r * row_bytes, xq, columns / 64);
    }
}

// output[b * rows + r] for rows [r0, r1) and vectors [b0, b0 + 4) (x86_rows.h's rows_x4).
static void fp4_rows_x4(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                        int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b0,
                        float *output) {
    const tern_act_block *xq = (const tern_act_block *)((const uint8_t *)activations + (size_t)b0 * act_bytes);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        float *out = output + b0 * rows + r;
        if (format == TERN_MXFP4) dot_mxfp4_x4(row, xq, act_bytes, columns / 32, out, rows);
        else dot_nvfp4_x4(row, xq, act_bytes, columns / 64, out, rows);
    }
}
