// The SwiGLU gate of the feed-forward block, gate[i] = silu(gate[i]) * up[i]
// with silu(x) = x / (1 + e^-x). The scalar loop spends its time in expf; the
// AVX2 loop computes e^-x eight at a time (like ggml's vectorized silu, which
// also uses its own exp rather than the C library's).
#include "internal.h"

#include <math.h>

static void swiglu_scalar(float *gate, const float *up, int64_t count) {
    for (int64_t i = 0; i < count; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TERN_X86 __attribute__((target("avx2,fma")))

// e^x for x in [-87.3, 88.3] (callers clamp), within about one ulp: x = n ln2 + r
// with |r| <= ln2 / 2 (ln2 split in two so n ln2 is exact enough), e^r from its
// Taylor polynomial to degree 7 (remainder below 1e-8 relative), times 2^n.
TERN_X86 static inline __m256 exp8(__m256 x) {
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);  // ln2's high part: 16 bits, exact product
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);        // ln2 - high part
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

TERN_X86 static void swiglu_avx2(float *gate, const float *up, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        // Beyond the clamp e^-g is 0 or overflows; either way the result rounds the same.
        const __m256 x = _mm256_min_ps(_mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), g), _mm256_set1_ps(-87.3f)),
                                       _mm256_set1_ps(88.3f));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(x)));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    swiglu_scalar(gate + i, up + i, count - i);
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
