// x86 kernels written once and compiled per instruction set: the including
// file defines TERN_FN(name) (the exported name) and TERN_DOT_U8S8(u, s) (eight
// int32 sums of four u8 * s8 products each), and wraps the include in a
// `#pragma clang attribute` that sets the target features. Everything here
// uses 256-bit vectors, so it is valid for any target that has AVX2, FMA and F16C.
//
// Not a standalone header: include only from x86_avx2.c / x86_avx512.c.

#include <immintrin.h>

// Exact f32 rounding like ggml's reference: no implicit fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline int hsum8i(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Software prefetch distance for weight rows. The hardware prefetcher alone
// left single-thread q4_1 products at ~10 GB/s from DRAM; asking for the
// lines 2 KB ahead took them to ~14 GB/s (Zen 3, measured with bench/).
#define TERN_PREFETCH_AHEAD 2048
static inline void prefetch_ahead(const void *p) { _mm_prefetch((const char *)p + TERN_PREFETCH_AHEAD, _MM_HINT_T0); }

// round() semantics (ties away from zero) for values below 2^23: truncate, then
// step away from zero when the exact remainder is at least one half.
static inline __m256 round_half_away(__m256 v) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 remainder = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
    const __m256 up = _mm256_cmp_ps(remainder, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 step = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
    return _mm256_add_ps(t, _mm256_and_ps(up, step));
}

// 16 bytes of packed nibbles -> 32 bytes 0...15: element j < 16 is the low
// nibble of byte j, element j + 16 the high nibble (ggml's order).
static inline __m256i unpack_nibbles(const uint8_t *qs) {
    // Both halves load the same 16 bytes; the upper half shifts right by 4.
    const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    const __m256i shifted = _mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4));
    return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0f));
}

#include "x86_ternary.h"

// MARK: - Activation preparation

void TERN_FN(prepare)(int format, const float *x, int64_t columns, void *prepared) {
    if (format == TERN_F32 || format == TERN_F16 || format == TERN_BF16) return;
    if (tern_is_ternary(format)) {
        TERN_FN(ternary_prepare)(format, x, columns, prepared);
        return;
    }
    tern_act_block *y = prepared;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t i = 0; i < columns / 32; i++, x += 32) {
        const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        const __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        const __m256 m01 = _mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1));
        const __m256 m23 = _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3));
        const float amax = hmax8(_mm256_max_ps(m01, m23));
        const float d = amax / 127;
        const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id));
        const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
        const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id));
        const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
        const int sum = hsum8i(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
        // The packs interleave 128-bit lanes; the permute restores element order.
        const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        _mm256_storeu_si256((__m256i *)y[i].qs, _mm256_permutevar8x32_epi32(bytes, order));
        const float d16 = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
        y[i].d = d16;
        switch (format) {
        case TERN_Q4_1: y[i].s = _cvtsh_ss(_cvtss_sh((float)sum * d, _MM_FROUND_TO_NEAREST_INT)); break;
        case TERN_Q4_0: y[i].s = -8.0f * d16 * (float)sum; break;
        case TERN_MXFP4: y[i].s = -12.0f * d16 * (float)sum; break;
        default: y[i].s = 0.0f; break;
        }
    }
    if (format == TERN_MXFP4 || format == TERN_NVFP4) tern_fp4_finish_prepare(format, prepared, columns);
}

// MARK: - Float weights

static float dot_f32(const float *w, const float *x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        prefetch_ahead(w + i);
        prefetch_ahead(w + i + 16);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static inline __m256 load_f16x8(const uint16_t *w) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w)); }

static inline __m256 load_bf16x8(const uint16_t *w) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)w));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// f16 and bf16 rows differ only in how eight values widen to f32.
#define TERN_DOT_HALF(NAME, LOAD, SCALAR)                                                         \
    static float NAME(const uint16_t *w, const float *x, int64_t n) {                             \
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                \
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();                                \
        int64_t i = 0;                                                                            \
        for (; i + 32 <= n; i += 32) {                                                            \
            prefetch_ahead(w + i);                                                                \
            a0 = _mm256_fmadd_ps(LOAD(w + i), _mm256_loadu_ps(x + i), a0);                        \
            a1 = _mm256_fmadd_ps(LOAD(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);                \
            a2 = _mm256_fmadd_ps(LOAD(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);              \
            a3 = _mm256_fmadd_ps(LOAD(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);              \
        }                                                                                         \
        for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(LOAD(w + i), _mm256_loadu_ps(x + i), a0); \
        float sum = hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));           \
        for (; i < n; i++) sum += SCALAR(w[i]) * x[i];                                            \
        return sum;                                                                               \
    }
TERN_DOT_HALF(dot_f16, load_f16x8, tern_half_to_float)
TERN_DOT_HALF(dot_bf16, load_bf16x8, tern_bfloat_to_float)
#undef TERN_DOT_HALF

// MARK: - Quantized weights

// One q4 block against one prepared block. `scales` lanes: (dx, mx) for q4_1,
// dx everywhere for q4_0; times (dy, s) gives (dx*dy, mx*s). Lane 1 of `mins`
// collects the mx*s terms; lane 0 is unused.
static inline __attribute__((always_inline)) void q4_block(const uint8_t *block, const int has_min,
                                                           const tern_act_block *y, __m256 *acc, __m128 *mins) {
    const __m128 scales = has_min ? _mm_cvtph_ps(_mm_cvtsi32_si128((int)tern_load_u32(block)))
                                  : _mm_cvtph_ps(_mm_set1_epi16((short)tern_load_u16(block)));
    const __m128 ys = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)&y->d));
    const __m128 p = _mm_mul_ps(scales, ys);
    *mins = _mm_add_ps(*mins, p);
    const __m256i qx = unpack_nibbles(block + (has_min ? 4 : 2));
    const __m256i qy = _mm256_loadu_si256((const __m256i *)y->qs);
    const __m256 sumi = _mm256_cvtepi32_ps(TERN_DOT_U8S8(qx, qy));
    *acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), sumi, *acc);
}

static inline __attribute__((always_inline)) float dot_q4(const uint8_t *row, const int has_min,
                                                          const tern_act_block *y, int64_t blocks) {
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 mins0 = _mm_setzero_ps(), mins1 = _mm_setzero_ps();
    int64_t i = 0;
    for (; i + 2 <= blocks; i += 2) {
        prefetch_ahead(row + (size_t)i * stride);
        q4_block(row + (size_t)i * stride, has_min, y + i, &acc0, &mins0);
        q4_block(row + (size_t)(i + 1) * stride, has_min, y + i + 1, &acc1, &mins1);
    }
    if (i < blocks) q4_block(row + (size_t)i * stride, has_min, y + i, &acc0, &mins0);
    const __m128 mins = _mm_add_ps(mins0, mins1);
    return hsum8(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(mins));
}

static inline __attribute__((always_inline)) void q8_block(const uint8_t *block, const size_t offset,
                                                           const tern_act_block *y, __m256 *acc) {
    const __m256 scale = _mm256_set1_ps(_cvtsh_ss(tern_load_u16(block)) * y->d);
    const __m256i qx = _mm256_loadu_si256((const __m256i *)(block + offset));
    const __m256i qy = _mm256_loadu_si256((const __m256i *)y->qs);
    // u8 * s8 products: move x's sign onto y.
    const __m256i sumi = TERN_DOT_U8S8(_mm256_sign_epi8(qx, qx), _mm256_sign_epi8(qy, qx));
    *acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sumi), *acc);
}

static inline __attribute__((always_inline)) float dot_q8(const uint8_t *row, const size_t stride, const size_t offset,
                                                          const tern_act_block *y, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 2 <= blocks; i += 2) {
        prefetch_ahead(row + (size_t)i * stride);
        q8_block(row + (size_t)i * stride, offset, y + i, &acc0);
        q8_block(row + (size_t)(i + 1) * stride, offset, y + i + 1, &acc1);
    }
    if (i < blocks) q8_block(row + (size_t)i * stride, offset, y + i, &acc0);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

#include "x86_fp4.h"
#include "x86_tiles.h"
#include "x86_rows.h"
