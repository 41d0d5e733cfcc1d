// The SwiGLU gate of the feed-forward block, gate[i] = silu(gate[i]) * up[i]
// with silu(x) = x / (1 + e^-x). The scalar loop spends its time in expf; the
// AVX2 loop computes e^-x eight at a time.
//
// Why the vector e^x copies llama.cpp's arithmetic: the reference logits and
// perplexities Tern is checked against come from llama.cpp, whose AVX2 silu
// uses its own e^x (the algorithm of Arm's optimized-routines expf). The
// previous e^x here was within 1 ulp of expf over the whole float range and no
// tail or split bug was found, yet it moved perplexity on the bundled corpus by
// 1.5% and a teacher-forced logit by 0.78: one-ulp changes in the gate flip
// roundings in the 8-bit quantization of the down projection's input, which 30
// layers amplify. Doing the same operations in the same order as llama.cpp
// gives the same bits (checked against ggml_v_silu over a stride of all floats
// and every float in [-120, 120]).
#include "internal.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

static void swiglu_scalar(float *gate, const float *up, int64_t count) {
    for (int64_t i = 0; i < count; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

// MARK: - The C library's e^x, vectorized
// Tern's own forward pass uses silu with the C library's expf (the definition the
// greedy references were checked with), one scalar call per value: 5-6 % of a decode
// step. glibc's expf (2.28 and later; its x86-64 build with FMA is the one that
// runs on every CPU with AVX2) computes in double precision: with N = 32,
// k = round(x N / ln2), r = x N / ln2 - k, e^x = 2^(k/N) (1 + r (c2 + r (c1 + r c0)))
// evaluated as below, 2^(k/N) from a table of 2^(i/N) (i = k mod N) whose exponent
// gets k / N added. Doing the same double operations in the same order, four lanes
// at a time, gives the same bits; inputs outside its main path's range (results
// that overflow or underflow, infinities, NaN) go to expf itself.
static const double exp_inv_ln2_n = 0x1.71547652b82fep+5;  // N / ln2
static const double exp_shift = 0x1.8p+52;  // adding it rounds to an integer, in the low bits
static const double exp_c0 = 0x1.c6af84b912394p-20, exp_c1 = 0x1.ebfce50fac4f3p-13, exp_c2 = 0x1.62e42ff0c52d6p-6;
static const float exp_lowest = -0x1.9fe368p6f, exp_highest = 0x1.62e42ep6f;  // the main path's range
// Bits of 2^(i/32) minus i << 47, so adding k << 47 puts k / 32 into the exponent.
static const uint64_t exp_table[32] = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull,
};

static float exp_libm(float x) {
    if (!(x >= exp_lowest && x <= exp_highest)) return expf(x);
    const double xd = x;
    double kd = fma(exp_inv_ln2_n, xd, exp_shift);
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= exp_shift;
    const double r = fma(exp_inv_ln2_n, xd, -kd);
    const double z = fma(exp_c0, r, exp_c1);
    const uint64_t t = exp_table[ki & 31] + (ki << 47);
    double s;
    memcpy(&s, &t, sizeof s);
    const double r2 = r * r;
    double y = fma(exp_c2, r, 1.0);
    y = fma(z, r2, y);
    return (float)(y * s);
}

static void swiglu_libm_scalar(float *gate, const float *up, int64_t count) {
    for (int64_t i = 0; i < count; i++) gate[i] = gate[i] / (1.0f + exp_libm(-gate[i])) * up[i];
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TERN_X86 __attribute__((target("avx2,fma")))

// e^x, eight lanes, within 1.46 + 0.5 ulp for every float x (above 88.38 it is
// +inf, below -103.97 zero). With n = round(x / ln2) and r = x - n ln2 (ln2 in
// two parts, |r| <= ln2 / 2): e^x = 2^n (1 + p(r)), p a degree-5 minimax
// polynomial for e^r - 1. Adding 1.5 * 2^23 rounds x / ln2 to an integer that
// lands in the low mantissa bits, from where a shift moves it into an exponent.
TERN_X86 static inline __m256 exp8(__m256 x) {
    const __m256 shifter = _mm256_set1_ps(0x1.8p23f);
    const __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shifter);  // x / ln2 + 1.5 * 2^23
    const __m256 n = _mm256_sub_ps(shifted, shifter);
    const __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256i exponent = _mm256_slli_epi32(_mm256_castps_si256(shifted), 23);  // n << 23 (mod 2^32)
    const __m256 scale = _mm256_castsi256_ps(_mm256_add_epi32(exponent, _mm256_castps_si256(_mm256_set1_ps(1.0f))));
    const __m256 r2 = _mm256_mul_ps(r, r);
    const __m256 high = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), r, _mm256_set1_ps(0x1.573e2ep-5f));
    const __m256 middle = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), r, _mm256_set1_ps(0x1.fffdb6p-2f));
    const __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(high, r2, middle), r2,
                                     _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), r));  // e^r - 1
    const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    const __m256 outside = _mm256_cmp_ps(magnitude, _mm256_set1_ps(126), _CMP_GT_OQ);
    if (_mm256_movemask_ps(outside) == 0) return _mm256_fmadd_ps(p, scale, scale);
    // |n| > 126: 2^n is not a normal float. Split it as 2^n = s2 * s1 with s1 = 2^127
    // (n > 0) or 2^-125 (n <= 0) so both parts are normal and the last product rounds
    // once (to infinity or a subnormal); beyond |n| = 192 the result is s1 * s1 (inf or 0).
    const __m256i low = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                         _mm256_set1_epi32((int)0x82000000u));
    const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(low, _mm256_set1_epi32(0x7f000000)));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(exponent, low));
    const __m256 far = _mm256_cmp_ps(magnitude, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 split = _mm256_mul_ps(_mm256_fmadd_ps(s2, p, s2), s1);
    const __m256 near = _mm256_blendv_ps(_mm256_fmadd_ps(scale, p, scale), split, outside);
    return _mm256_blendv_ps(near, _mm256_mul_ps(s1, s1), far);
}

// Eight lanes at a time, then the scalar definition for the last count % 8 (as
// llama.cpp does per row): so a row gives the same values however it is called,
// as long as calls start at multiples of 8 from the row's start.
TERN_X86 static void swiglu_avx2(float *gate, const float *up, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    swiglu_scalar(gate + i, up + i, count - i);
}

// exp_libm on four lanes.
TERN_X86 static inline __m128 exp4_libm(__m128 x) {
    const __m256d inv_ln2_n = _mm256_set1_pd(exp_inv_ln2_n), shift = _mm256_set1_pd(exp_shift);
    const __m256d xd = _mm256_cvtps_pd(x);
    const __m256d shifted = _mm256_fmadd_pd(inv_ln2_n, xd, shift);
    const __m256i ki = _mm256_castpd_si256(shifted);
    const __m256d kd = _mm256_sub_pd(shifted, shift);
    const __m256d r = _mm256_fmsub_pd(inv_ln2_n, xd, kd);
    const __m256d z = _mm256_fmadd_pd(_mm256_set1_pd(exp_c0), r, _mm256_set1_pd(exp_c1));
    const __m256i t = _mm256_add_epi64(
        _mm256_i64gather_epi64((const long long *)exp_table, _mm256_and_si256(ki, _mm256_set1_epi64x(31)), 8),
        _mm256_slli_epi64(ki, 47));
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d y = _mm256_fmadd_pd(_mm256_set1_pd(exp_c2), r, _mm256_set1_pd(1.0));
    y = _mm256_fmadd_pd(z, r2, y);
    return _mm256_cvtpd_ps(_mm256_mul_pd(y, _mm256_castsi256_pd(t)));
}

// swiglu_libm_scalar eight lanes at a time: the same bits for every lane.
TERN_X86 static void swiglu_libm_avx2(float *gate, const float *up, int64_t count) {
    const __m256 lowest = _mm256_set1_ps(exp_lowest), highest = _mm256_set1_ps(exp_highest);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 x = _mm256_sub_ps(_mm256_setzero_ps(), g);
        const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(x, lowest, _CMP_GE_OQ), _mm256_cmp_ps(x, highest, _CMP_LE_OQ));
        if (_mm256_movemask_ps(inside) != 0xff) {  // rare: a lane for expf's special cases
            swiglu_libm_scalar(gate + i, up + i, 8);
            continue;
        }
        const __m256 e = _mm256_set_m128(exp4_libm(_mm256_extractf128_ps(x, 1)), exp4_libm(_mm256_castps256_ps128(x)));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    swiglu_libm_scalar(gate + i, up + i, count - i);
}
#endif

void tern_swiglu(const tern_kernels *kernels, float *gate, const float *up, int64_t count) {
#if defined(__x86_64__) || defined(__i386__)
    // Tables whose f16 conversion is the AVX2 one only run on CPUs with AVX2 and FMA.
    if (kernels->convert_f16 == tern_avx2_convert_f16) {
        swiglu_avx2(gate, up, count);
        return;
    }
#endif
    (void)kernels;
    swiglu_scalar(gate, up, count);
}

void tern_swiglu_libm(const tern_kernels *kernels, float *gate, const float *up, int64_t count) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernels->convert_f16 == tern_avx2_convert_f16) {
        swiglu_libm_avx2(gate, up, count);
        return;
    }
#endif
    (void)kernels;
    swiglu_libm_scalar(gate, up, count);
}
