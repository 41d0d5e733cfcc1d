// Ternary formats (tq1_0, tq2_0, t2_64) on x86: activation preparation and
// matrix rows. Part of x86_body.h (same macros, same target features); include
// nowhere else. Layouts and the prepared activations are described in ternary.h.
//
// Each weight block expands to registers of 32 codes (0...2) in activation
// order; maddubs multiplies them with the block's int8 activations and the
// products of the whole block add up in int16 lanes (at most 8 * 2 * 3 * 127
// = 6096), so the block costs one widening, one conversion and one multiply-add
// in f32, whatever its length. The codes' offset of 1 is folded into the
// activations' s (ternary.h).

// MARK: - Activation preparation

// tern_ternary_prepare, vectorized: same operations, same bytes.
static void TERN_FN(t2r_build_tables)(void *prepared, int64_t columns);  // x86_ternary_lut.h

static void TERN_FN(ternary_prepare)(int format, const float *x, int64_t columns, void *prepared) {
    if (format == TERN_T2_64R) {  // t2_64's blocks, then the lookup tables
        TERN_FN(ternary_prepare)(TERN_T2_64, x, columns, prepared);
        TERN_FN(t2r_build_tables)(prepared, columns);
        return;
    }
    const int64_t n = tern_ternary_block_values(format);
    tern_act_block *y = prepared;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t g = 0; g < columns / n; g++, x += n, y += n / 32) {
        __m256 m = _mm256_setzero_ps();
        for (int64_t j = 0; j < n; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
        const float amax = hmax8(m);
        const float d = amax / 127;
        const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        __m256i sums = _mm256_setzero_si256();
        for (int64_t k = 0; k < n / 32; k++) {
            const float *v = x + 32 * k;
            const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v), id));
            const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 8), id));
            const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 16), id));
            const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 24), id));
            sums = _mm256_add_epi32(sums, _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
            const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            _mm256_storeu_si256((__m256i *)y[k].qs, _mm256_permutevar8x32_epi32(bytes, order));
            y[k].d = d;
            y[k].s = 0.0f;
        }
        y[0].s = -d * (float)hsum8i(sums);
    }
}

// MARK: - Codes

static inline __m256i times3_256(__m256i x) { return _mm256_add_epi8(_mm256_add_epi8(x, x), x); }
static inline __m128i times3_128(__m128i x) { return _mm_add_epi8(_mm_add_epi8(x, x), x); }

// The leading base-3 digit of each byte of a tq1_0 fraction: (q * 3) >> 8,
// which is [q >= 86] + [q >= 171].
static inline __m256i leading_trits(__m256i q) {
    const __m256i one = _mm256_set1_epi8(1);
    const __m256i a = _mm256_min_epu8(_mm256_subs_epu8(q, _mm256_set1_epi8(85)), one);
    const __m256i b = _mm256_min_epu8(_mm256_subs_epu8(q, _mm256_set1_epi8((char)170)), one);
    return _mm256_add_epi8(a, b);
}

// One block's codes as registers of 32, register k pairing with activation block k.
static inline __attribute__((always_inline)) void ternary_codes(const int format, const uint8_t *block, __m256i *c) {
    const __m256i three = _mm256_set1_epi8(3);
    if (format == TERN_T2_64) {
        const __m256i w = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(block + 2)));
        c[0] = _mm256_and_si256(_mm256_srlv_epi64(w, _mm256_setr_epi64x(0, 0, 2, 2)), three);
        c[1] = _mm256_and_si256(_mm256_srlv_epi64(w, _mm256_setr_epi64x(4, 4, 6, 6)), three);
    } else if (format == TERN_TQ2_0) {
        for (int h = 0; h < 2; h++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(block + 32 * h));
            c[4 * h + 0] = _mm256_and_si256(w, three);
            c[4 * h + 1] = _mm256_and_si256(_mm256_srli_epi16(w, 2), three);
            c[4 * h + 2] = _mm256_and_si256(_mm256_srli_epi16(w, 4), three);
            c[4 * h + 3] = _mm256_and_si256(_mm256_srli_epi16(w, 6), three);
        }
    } else {  // tq1_0: multiplying by 3^n brings digit n to the front
        __m256i a = _mm256_loadu_si256((const __m256i *)block);  // values 32n + m
        for (int n = 0; n < 5; n++, a = times3_256(a)) c[n] = leading_trits(a);
        const __m128i b1 = _mm_loadu_si128((const __m128i *)(block + 32));  // values 160 + 16n + m
        const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(b1), times3_128(b1), 1);
        const __m256i b9 = times3_256(times3_256(b));
        c[5] = leading_trits(b);
        c[6] = leading_trits(b9);
        // qh: value 240 + j + 4n is digit n of qh[j]; dword n of h gets the bytes times 3^n.
        const __m128i h1 = _mm_set1_epi32((int)tern_load_u32(block + 48));
        const __m128i h3 = times3_128(h1), h9 = times3_128(h3), h27 = times3_128(h9);
        const __m128i h = _mm_blend_epi32(_mm_blend_epi32(h1, h3, 0x2), _mm_blend_epi32(h9, h27, 0x8), 0xc);
        const __m128i b81 = times3_128(times3_128(_mm256_castsi256_si128(b9)));
        c[7] = leading_trits(_mm256_inserti128_si256(_mm256_castsi128_si256(b81), h, 1));
    }
}

static inline int ternary_registers(const int format) { return format == TERN_T2_64 ? 2 : 8; }
static inline size_t ternary_scale_offset(const int format) {
    return format == TERN_T2_64 ? 0 : format == TERN_TQ2_0 ? 64 : 52;
}

// sum(code * q) of one block and one activation group, in 8 int32 lanes.
static inline __attribute__((always_inline)) __m256i ternary_block_sum(const int format, const __m256i *c,
                                                                       const tern_act_block *y) {
    __m256i s16 = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i *)y[0].qs));
    for (int k = 1; k < ternary_registers(format); k++)
        s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(c[k], _mm256_loadu_si256((const __m256i *)y[k].qs)));
    return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
}

// (d_w * d, d_w * s) of one block and its activation group.
static inline __m128 ternary_scales(const int format, const uint8_t *block, const tern_act_block *y) {
    const __m128 dw = _mm_cvtph_ps(_mm_set1_epi16((short)tern_load_u16(block + ternary_scale_offset(format))));
    return _mm_mul_ps(dw, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)&y->d)));
}

// MARK: - Rows

static inline __attribute__((always_inline)) float dot_ternary(const int format, const uint8_t *row,
                                                               const tern_act_block *y, int64_t blocks) {
    const size_t bytes = tern_ternary_block_bytes(format);
    const int nc = ternary_registers(format);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 off0 = _mm_setzero_ps(), off1 = _mm_setzero_ps();
    __m256i c[8];
    int64_t i = 0;
    for (; i + 2 <= blocks; i += 2, row += 2 * bytes, y += 2 * nc) {
        prefetch_ahead(row);
        ternary_codes(format, row, c);
        const __m128 p0 = ternary_scales(format, row, y);
        off0 = _mm_add_ps(off0, p0);
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p0), _mm256_cvtepi32_ps(ternary_block_sum(format, c, y)), acc0);
        ternary_codes(format, row + bytes, c);
        const __m128 p1 = ternary_scales(format, row + bytes, y + nc);
        off1 = _mm_add_ps(off1, p1);
        acc1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p1), _mm256_cvtepi32_ps(ternary_block_sum(format, c, y + nc)), acc1);
    }
    if (i < blocks) {
        ternary_codes(format, row, c);
        const __m128 p0 = ternary_scales(format, row, y);
        off0 = _mm_add_ps(off0, p0);
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p0), _mm256_cvtepi32_ps(ternary_block_sum(format, c, y)), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(_mm_add_ps(off0, off1)));
}

// Two adjacent rows against one vector, for short rows (as dot_q4_2rows): the
// rows share the loop, the activation loads, the scale conversion and the final
// reductions.
static inline __attribute__((always_inline)) void dot_ternary_2rows(const int format, const uint8_t *row,
                                                                    size_t row_bytes, const tern_act_block *y,
                                                                    int64_t blocks, float *out) {
    const size_t bytes = tern_ternary_block_bytes(format);
    const size_t scale = ternary_scale_offset(format);
    const int nc = ternary_registers(format);
    const __m256i lane2 = _mm256_set1_epi32(2);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 off = _mm_setzero_ps();
    __m256i c[8];
    for (int64_t i = 0; i < blocks; i++, row += bytes, y += nc) {
        prefetch_ahead(row + row_bytes);
        ternary_codes(format, row, c);
        const __m256i s0 = ternary_block_sum(format, c, y);
        ternary_codes(format, row + row_bytes, c);
        const __m256i s1 = ternary_block_sum(format, c, y);
        // (dw0, dw1) times (d, s): p = (dw0 d, dw0 s, dw1 d, dw1 s).
        const __m128i halves = _mm_insert_epi16(_mm_cvtsi32_si128(tern_load_u16(row + scale)),
                                                tern_load_u16(row + row_bytes + scale), 1);
        const __m128 dw = _mm_cvtph_ps(halves);
        const __m128 ys = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)&y->d));
        const __m128 p = _mm_mul_ps(_mm_unpacklo_ps(dw, dw), _mm_movelh_ps(ys, ys));
        off = _mm_add_ps(off, p);
        const __m256 p8 = _mm256_castps128_ps256(p);
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(p8, lane2), _mm256_cvtepi32_ps(s1), acc1);
    }
    __m256 pair = _mm256_hadd_ps(acc0, acc1);  // per 128-bit lane: r0 r0 r1 r1
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(pair), _mm256_extractf128_ps(pair, 1));
    s = _mm_hadd_ps(s, s);  // r0 r1 r0 r1
    out[0] = _mm_cvtss_f32(s) + _mm_cvtss_f32(_mm_movehdup_ps(off));
    out[1] = _mm_cvtss_f32(_mm_movehdup_ps(s)) + _mm_cvtss_f32(_mm_shuffle_ps(off, off, 3));
}

// One row against four vectors: each block's codes are expanded once.
static inline __attribute__((always_inline)) void dot_ternary_x4(const int format, const uint8_t *row,
                                                                 const tern_act_block *y, size_t y_stride,
                                                                 int64_t blocks, float *out, int64_t out_stride) {
    const size_t bytes = tern_ternary_block_bytes(format);
    const int nc = ternary_registers(format);
    __m256 acc[4];
    __m128 off[4];
    for (int v = 0; v < 4; v++) {
        acc[v] = _mm256_setzero_ps();
        off[v] = _mm_setzero_ps();
    }
    __m256i c[8];
    for (int64_t i = 0; i < blocks; i++, row += bytes) {
        prefetch_ahead(row);
        ternary_codes(format, row, c);
        for (int v = 0; v < 4; v++) {
            const tern_act_block *yb = y + (size_t)v * y_stride + (size_t)i * nc;
            const __m128 p = ternary_scales(format, row, yb);
            off[v] = _mm_add_ps(off[v], p);
            acc[v] = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), _mm256_cvtepi32_ps(ternary_block_sum(format, c, yb)), acc[v]);
        }
    }
    for (int v = 0; v < 4; v++) out[v * out_stride] = hsum8(acc[v]) + _mm_cvtss_f32(_mm_movehdup_ps(off[v]));
}

// MARK: - t2_64, eight rows at a time

// t2_64's blocks are short (64 values), so a one-row loop spends more on
// widening, converting and scaling each block's sum than on the sum itself.
// Eight rows in step instead keep rows in lanes: the eight 16-lane int16 sums
// of one block index fold into one vector of eight (one per row) by a tree of
// unpacks, then one conversion and one multiply-add scale all eight, with no
// horizontal reduction at the end. Block sums are at most 64 values * 3 *
// 127 = 24384 (code 3 included), so the int16 tree is exact.

// Eight vectors of 16 int16 -> eight int32: lane i = the sum of vector i.
static inline __attribute__((always_inline)) __m256i sum_lanes_x8(const __m256i *s) {
    const __m256i p01 = _mm256_add_epi16(_mm256_unpacklo_epi16(s[0], s[1]), _mm256_unpackhi_epi16(s[0], s[1]));
    const __m256i p23 = _mm256_add_epi16(_mm256_unpacklo_epi16(s[2], s[3]), _mm256_unpackhi_epi16(s[2], s[3]));
    const __m256i p45 = _mm256_add_epi16(_mm256_unpacklo_epi16(s[4], s[5]), _mm256_unpackhi_epi16(s[4], s[5]));
    const __m256i p67 = _mm256_add_epi16(_mm256_unpacklo_epi16(s[6], s[7]), _mm256_unpackhi_epi16(s[6], s[7]));
    const __m256i q03 = _mm256_add_epi16(_mm256_unpacklo_epi32(p01, p23), _mm256_unpackhi_epi32(p01, p23));
    const __m256i q47 = _mm256_add_epi16(_mm256_unpacklo_epi32(p45, p67), _mm256_unpackhi_epi32(p45, p67));
    const __m256i r = _mm256_add_epi16(_mm256_unpacklo_epi64(q03, q47), _mm256_unpackhi_epi64(q03, q47));
    return _mm256_cvtepi16_epi32(_mm_add_epi16(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
}

// sum(code * q) of one t2_64 block in 16 int16 lanes; y0, y1: its activations.
static inline __attribute__((always_inline)) __m256i t2_64_block_sum(const uint8_t *block, __m256i y0, __m256i y1) {
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i w = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(block + 2)));
    const __m256i c0 = _mm256_and_si256(_mm256_srlv_epi64(w, _mm256_setr_epi64x(0, 0, 2, 2)), three);
    const __m256i c1 = _mm256_and_si256(_mm256_srlv_epi64(w, _mm256_setr_epi64x(4, 4, 6, 6)), three);
    return _mm256_add_epi16(_mm256_maddubs_epi16(c0, y0), _mm256_maddubs_epi16(c1, y1));
}

// The f16 scales of one block index in eight rows `stride` bytes apart, as f32.
// Gathered with scalar loads, which run beside the vector work.
static inline __attribute__((always_inline)) __m256 t2_64_scales_x8(const uint8_t *block, size_t stride) {
    uint64_t lo = 0, hi = 0;
    for (int k = 0; k < 4; k++) {
        lo |= (uint64_t)tern_load_u16(block + (size_t)k * stride) << (16 * k);
        hi |= (uint64_t)tern_load_u16(block + (size_t)(k + 4) * stride) << (16 * k);
    }
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)hi, (long long)lo));
}

// Eight rows are read in step, which the hardware prefetcher does not follow
// as it follows one row: each block step prefetches three lines (192 bytes,
// more than the 8 * 18 that eight rows' blocks take) of the group two groups
// on, so the next groups' rows arrive from memory in time. Measured on Zen 3
// with 50 MB of weights: 1.7x the two-row kernel; without the prefetch, 0.6x.
#define TERN_T2_64_PREFETCH_ROWS 16

// out[0..8) = rows row .. row + 7 (row_bytes apart) times one prepared vector.
static void t2_64_dot_8rows(const uint8_t *row, size_t row_bytes, const tern_act_block *y, int64_t blocks, float *out) {
    __m256 acc = _mm256_setzero_ps(), off = _mm256_setzero_ps();
    __m256i s[8];
    const char *ahead = (const char *)row + TERN_T2_64_PREFETCH_ROWS * row_bytes;  // prefetches never fault
    for (int64_t i = 0; i < blocks; i++, row += 18, y += 2, ahead += 192) {
        _mm_prefetch(ahead, _MM_HINT_T0);
        _mm_prefetch(ahead + 64, _MM_HINT_T0);
        _mm_prefetch(ahead + 128, _MM_HINT_T0);
        const __m256i y0 = _mm256_loadu_si256((const __m256i *)y[0].qs);
        const __m256i y1 = _mm256_loadu_si256((const __m256i *)y[1].qs);
        for (int k = 0; k < 8; k++) s[k] = t2_64_block_sum(row + (size_t)k * row_bytes, y0, y1);
        const __m256 dw = t2_64_scales_x8(row, row_bytes);
        const __m256 sums = _mm256_cvtepi32_ps(sum_lanes_x8(s));
        acc = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_set1_ps(y[0].d), sums), acc);
        off = _mm256_fmadd_ps(dw, _mm256_set1_ps(y[0].s), off);
    }
    _mm256_storeu_ps(out, _mm256_add_ps(acc, off));
}

#include "x86_ternary_lut.h"

// Rows up to this many bytes go two at a time (TERN_SHORT_ROW explains the limit).
#ifndef TERN_TERNARY_SHORT_ROW
#define TERN_TERNARY_SHORT_ROW 512
#endif

// output[b * rows + r] for rows [r0, r1) and one vector b.
static void ternary_rows_x1(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                            int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b,
                            float *output) {
    if (format == TERN_T2_64R) {
        t2r_rows(weights, rows, columns, r0, r1, activations, act_bytes, b, b + 1, output);
        return;
    }
    const int64_t blocks = columns / tern_ternary_block_values(format);
    const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
    float *out = output + b * rows;
    if (format == TERN_T2_64)
        for (; r0 + 8 <= r1; r0 += 8) t2_64_dot_8rows(weights + (size_t)r0 * row_bytes, row_bytes, y, blocks, out + r0);
    if (row_bytes <= TERN_TERNARY_SHORT_ROW) {
        for (; r0 + 2 <= r1; r0 += 2) {
            const uint8_t *row = weights + (size_t)r0 * row_bytes;
            switch (format) {
            case TERN_TQ1_0: dot_ternary_2rows(TERN_TQ1_0, row, row_bytes, y, blocks, out + r0); break;
            case TERN_TQ2_0: dot_ternary_2rows(TERN_TQ2_0, row, row_bytes, y, blocks, out + r0); break;
            default: dot_ternary_2rows(TERN_T2_64, row, row_bytes, y, blocks, out + r0); break;
            }
        }
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        switch (format) {
        case TERN_TQ1_0: out[r] = dot_ternary(TERN_TQ1_0, row, y, blocks); break;
        case TERN_TQ2_0: out[r] = dot_ternary(TERN_TQ2_0, row, y, blocks); break;
        default: out[r] = dot_ternary(TERN_T2_64, row, y, blocks); break;
        }
    }
}

// output[b * rows + r] for rows [r0, r1) and vectors [b0, b0 + 4).
static void ternary_rows_x4(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                            int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t b0,
                            float *output) {
    if (format == TERN_T2_64R) {
        t2r_rows(weights, rows, columns, r0, r1, activations, act_bytes, b0, b0 + 4, output);
        return;
    }
    const int64_t blocks = columns / tern_ternary_block_values(format);
    const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b0 * act_bytes);
    const size_t y_stride = act_bytes / sizeof(tern_act_block);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = weights + (size_t)r * row_bytes;
        float *out = output + b0 * rows + r;
        switch (format) {
        case TERN_TQ1_0: dot_ternary_x4(TERN_TQ1_0, row, y, y_stride, blocks, out, rows); break;
        case TERN_TQ2_0: dot_ternary_x4(TERN_TQ2_0, row, y, y_stride, blocks, out, rows); break;
        default: dot_ternary_x4(TERN_T2_64, row, y, y_stride, blocks, out, rows); break;
        }
    }
}
