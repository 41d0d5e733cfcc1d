// Shared by the kernel implementations: ggml block layouts, the prepared
// activation layout, scalar f16/bf16 conversion, and each path's entry points.
#ifndef TERN_INTERNAL_H
#define TERN_INTERNAL_H

#include "tern_kernels.h"

#include <string.h>

// ggml block layouts, bit for bit. Scales are IEEE half bit patterns.
typedef struct { uint16_t d; uint8_t qs[16]; } tern_block_q4_0;           // 4.5 bits/weight: (q - 8) * d
typedef struct { uint16_t d, m; uint8_t qs[16]; } tern_block_q4_1;        // 5.0 bits/weight: q * d + m
typedef struct { uint16_t d; int8_t qs[32]; } tern_block_q8_0;            // 8.5 bits/weight: q * d
typedef struct { uint16_t d, s; int8_t qs[32]; } tern_block_q8_1;         // 9.0 bits/weight: q * d, s = d * sum(q)
_Static_assert(sizeof(tern_block_q4_0) == 18, "q4_0 block must match ggml");
_Static_assert(sizeof(tern_block_q4_1) == 20, "q4_1 block must match ggml");
_Static_assert(sizeof(tern_block_q8_0) == 34, "q8_0 block must match ggml");
_Static_assert(sizeof(tern_block_q8_1) == 36, "q8_1 block must match ggml");

// FP4 microscaling blocks (E2M1 codes, two per byte; see fp4.h for the values).
typedef struct { uint8_t e; uint8_t qs[16]; } tern_block_mxfp4;          // 4.25 bits/weight: 32 codes, E8M0 scale
typedef struct { uint8_t d[4]; uint8_t qs[32]; } tern_block_nvfp4;       // 4.5 bits/weight: 64 codes, UE4M3 per 16
_Static_assert(sizeof(tern_block_mxfp4) == 17, "mxfp4 block must match ggml");
_Static_assert(sizeof(tern_block_nvfp4) == 36, "nvfp4 block must match ggml");
// Ternary blocks (values are code - 1 in {-1, 0, 1}, times d). tq1_0 and tq2_0
// are ggml's 256-value blocks; t2_64 is Tern's own (ternary.h has the layouts).
typedef struct { uint8_t qs[48]; uint8_t qh[4]; uint16_t d; } tern_block_tq1_0;  // 1.6875 bits/weight: base-3 trits
typedef struct { uint8_t qs[64]; uint16_t d; } tern_block_tq2_0;                 // 2.0625 bits/weight: 2-bit codes
typedef struct { uint16_t d; uint8_t qs[16]; } tern_block_t2_64;                 // 2.25 bits/weight: 2-bit codes
_Static_assert(sizeof(tern_block_tq1_0) == 54, "tq1_0 block must match ggml");
_Static_assert(sizeof(tern_block_tq2_0) == 66, "tq2_0 block must match ggml");
_Static_assert(sizeof(tern_block_t2_64) == 18, "t2_64 block is 18 bytes");

// One prepared activation block: 32 values quantized like ggml's
// quantize_row_q8_0/q8_1 reference, with the scales already in f32 so the dot
// product never converts them. `d` is the f16-rounded scale (as ggml stores it).
// `s` depends on the weight format it pairs with:
//   q4_1: f16-rounded d_unrounded * sum(q)   (ggml's block_q8_1.s)
//   q4_0: -8 * d * sum(q)                    (folds q4_0's -8 offset out of the int loop)
//   mxfp4: -12 * d * sum(q)                  (x86 dots values + 12; this takes the excess out)
//   q8_0: 0
//   tq1_0, tq2_0, t2_64: see ternary.h (d shared per weight block, s carries -d * sum(q))
// 40 bytes, so qs stays 8-byte aligned in a packed array.
typedef struct { float d; float s; int8_t qs[32]; } tern_act_block;
_Static_assert(sizeof(tern_act_block) == 40, "prepared block is 40 bytes");

static inline uint32_t tern_float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float tern_bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float tern_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in f32.
        float magnitude = (float)mantissa * 0x1p-24f;
        return tern_bits_float(sign | tern_float_bits(magnitude));
    }
    if (exponent == 31) return tern_bits_float(sign | 0x7f800000u | (mantissa << 13));
    return tern_bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

static inline uint16_t tern_float_to_half(float f) {
    uint32_t x = tern_float_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((ax >> 13) & 0x3ff);  // NaN stays a quiet NaN
    if (ax >= 0x477ff000u) return sign | 0x7c00;                                 // >= 65520 rounds to inf
    if (ax < 0x38800000u) {
        // Below the smallest normal half: adding 0.5 puts the value's bits at
        // the f32 ulp of 2^-24, so the hardware's round-to-nearest-even does
        // the rounding for us.
        float shifted = tern_bits_float(ax) + 0.5f;
        return sign | (uint16_t)(tern_float_bits(shifted) - 0x3f000000u);
    }
    uint32_t rebased = ax - 0x38000000u;  // exponent bias 127 -> 15
    return sign | (uint16_t)((rebased + 0xfff + ((rebased >> 13) & 1)) >> 13);
}

static inline float tern_bfloat_to_float(uint16_t h) { return tern_bits_float((uint32_t)h << 16); }

static inline uint16_t tern_float_to_bfloat(float f) {
    uint32_t x = tern_float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 64);  // quiet NaN, as ggml
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

static inline uint16_t tern_load_u16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t tern_load_u32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }

// Bytes of one row of `columns` values in `format`, or 0 for an unknown format.
size_t tern_row_bytes(int format, int64_t columns);

// The portable path; SIMD paths reuse its row conversions and fall back to it
// for formats they do not specialize.
void tern_portable_quantize_row(int format, const float *source, void *destination, int64_t count);
void tern_portable_dequantize_row(int format, const void *source, float *destination, int64_t count);
size_t tern_portable_prepared_bytes(int format, int64_t columns);
void tern_portable_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_portable_multiply_rows_float(const tern_kernels *k, int format, const void *weights, int64_t rows,
                                       int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                       int64_t batch, float *output);
void tern_avx2_multiply_rows_float(const tern_kernels *k, int format, const void *weights, int64_t rows,
                                   int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                   int64_t batch, float *output);
void tern_portable_convert_f16(const float *source, uint16_t *destination, int64_t count);
void tern_portable_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values, int64_t length,
                              int64_t stride, const int32_t *pages, int64_t page_size, int64_t page_stride,
                              int64_t head_dim, float scale, float *output);
void tern_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                 int64_t row_begin, int64_t row_end, const void *activations,
                                 int64_t batch, float *output);

// FP4 formats (fp4_portable.c): the portable path's conversions and rows.
// Prepared FP4 activations are the usual blocks followed by a second copy
// laid out for the x86 kernels (fp4.h): every prepare calls
// tern_fp4_finish_prepare once the blocks are written.
size_t tern_fp4_prepared_bytes(int format, int64_t columns);
void tern_fp4_finish_prepare(int format, void *prepared, int64_t columns);
void tern_fp4_quantize_row(int format, const float *source, void *destination, int64_t count);
void tern_fp4_dequantize_row(int format, const void *source, float *destination, int64_t count);
void tern_fp4_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                     int64_t row_begin, int64_t row_end, const void *activations,
                                     int64_t batch, float *output);
#include "ternary.h"
#include "q4r.h"

#if defined(__x86_64__) || defined(__i386__)
void tern_avx2_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_avx2_convert_f16(const float *source, uint16_t *destination, int64_t count);
void tern_avx2_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values, int64_t length,
                          int64_t stride, const int32_t *pages, int64_t page_size, int64_t page_stride,
                          int64_t head_dim, float scale, float *output);
void tern_avx2_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                             int64_t row_begin, int64_t row_end, const void *activations,
                             int64_t batch, float *output);
void tern_avx512vnni_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_avx512vnni_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                   int64_t row_begin, int64_t row_end, const void *activations,
                                   int64_t batch, float *output);
#endif

#if defined(__aarch64__)
void tern_neon_prepare(int format, const float *input, int64_t columns, void *prepared);
void tern_neon_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                             int64_t row_begin, int64_t row_end, const void *activations,
                             int64_t batch, float *output);
void tern_neon_dotprod_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                     int64_t row_begin, int64_t row_end, const void *activations,
                                     int64_t batch, float *output);
#endif

#endif
