// aarch64 NEON kernels; the dot-product variant (ARMv8.2 sdot) is chosen when
// the CPU has it. Activation preparation reuses the portable code, which keeps
// it bit-identical to the reference and is a small share of a matrix product.
#include "internal.h"

#if defined(__aarch64__)

#include <arm_neon.h>

// The ternary rows add their per-block terms as the portable path does, and
// must round as it does: no fused multiply-adds where the code has none
// (clang fuses a * b + c by default on aarch64).
#pragma STDC FP_CONTRACT OFF

void tern_neon_prepare(int format, const float *input, int64_t columns, void *prepared) {
    tern_portable_prepare(format, input, columns, prepared);
}

static float dot_f32(const float *w, const float *x, int64_t n) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, vld1q_f32(w + i), vld1q_f32(x + i));
        a1 = vfmaq_f32(a1, vld1q_f32(w + i + 4), vld1q_f32(x + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(a0, a1));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
    float32x4_t a0 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w + i))), vld1q_f32(x + i));
    float sum = vaddvq_f32(a0);
    for (; i < n; i++) sum += tern_half_to_float(w[i]) * x[i];
    return sum;
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    float32x4_t a0 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(w + i), 16)), vld1q_f32(x + i));
    float sum = vaddvq_f32(a0);
    for (; i < n; i++) sum += tern_bfloat_to_float(w[i]) * x[i];
    return sum;
}

// Plain NEON: widening multiplies; a pair of products fits int16 (2 * 128 * 127).
static inline int32x4_t dot_s8_widening(int32x4_t acc, int8x16_t a, int8x16_t b) {
    int16x8_t products = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    products = vmlal_high_s8(products, a, b);
    return vpadalq_s16(acc, products);
}

#define TERN_FN(name) tern_neon_##name
#define TERN_DOT_S8(acc, a, b) dot_s8_widening((acc), (a), (b))
#include "arm_body.h"
#undef TERN_FN
#undef TERN_DOT_S8

#pragma clang attribute push(__attribute__((target("dotprod"))), apply_to = function)
#define dot_q4 dot_q4_dotprod
#define dot_q8 dot_q8_dotprod
#define half_at half_at_dotprod
#define TERN_FN(name) tern_neon_dotprod_##name
#define TERN_DOT_S8(acc, a, b) vdotq_s32((acc), (a), (b))
#include "arm_body.h"
#pragma clang attribute pop

#endif
