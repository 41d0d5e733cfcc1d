// MXFP4 and NVFP4 rows for the aarch64 kernels. Part of arm_body.h (same
// macros; compiled once per variant, so every name goes through TERN_FN);
// include nowhere else.
//
// A table lookup (tbl) turns codes into the doubled E2M1 values as int8, which
// the signed dot product takes as they are.

#include "fp4.h"

// Σ value(code) · y over 16 code bytes: low nibbles against y[0..15], high
// nibbles against y[16..31] (mxfp4's order); four int32 partial sums.
static inline int32x4_t TERN_FN(fp4_dot16)(int8x16_t table, uint8x16_t codes, const int8_t *y) {
    const int8x16_t lo = vqtbl1q_s8(table, vandq_u8(codes, vdupq_n_u8(0x0f)));
    const int8x16_t hi = vqtbl1q_s8(table, vshrq_n_u8(codes, 4));
    return TERN_DOT_S8(TERN_DOT_S8(vdupq_n_s32(0), lo, vld1q_s8(y)), hi, vld1q_s8(y + 16));
}

static float TERN_FN(fp4_dot_mxfp4)(const uint8_t *row, const tern_act_block *y, int64_t blocks) {
    const int8x16_t table = vld1q_s8(tern_fp4_values);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < blocks; i++, row += 17, y++) {
        const int32x4_t sumi = TERN_FN(fp4_dot16)(table, vld1q_u8(row + 1), y->qs);
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), tern_e8m0_half(row[0]) * y->d);
    }
    return vaddvq_f32(acc);
}

// nvfp4: 8 code bytes per 16 values (low nibbles first), so a 16-byte load
// covers two sub-blocks; zip the halves into mxfp4's order first.
static float TERN_FN(fp4_dot_nvfp4)(const uint8_t *row, const tern_act_block *y, int64_t blocks) {
    const int8x16_t table = vld1q_s8(tern_fp4_values);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < blocks; i++, row += 36) {
        for (int h = 0; h < 2; h++, y++) {
            const uint8x16_t codes = vld1q_u8(row + 4 + 16 * h);
            const int8x16_t lo = vqtbl1q_s8(table, vandq_u8(codes, vdupq_n_u8(0x0f)));
            const int8x16_t hi = vqtbl1q_s8(table, vshrq_n_u8(codes, 4));
            // Sub-block 0 is lo[0..7] then hi[0..7]; sub-block 1 is lo[8..15] then hi[8..15].
            const int8x16_t s0 = vcombine_s8(vget_low_s8(lo), vget_low_s8(hi));
            const int8x16_t s1 = vcombine_s8(vget_high_s8(lo), vget_high_s8(hi));
            const int32x4_t sum0 = TERN_DOT_S8(vdupq_n_s32(0), s0, vld1q_s8(y->qs));
            const int32x4_t sum1 = TERN_DOT_S8(vdupq_n_s32(0), s1, vld1q_s8(y->qs + 16));
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sum0), tern_ue4m3_half(row[2 * h]) * y->d);
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sum1), tern_ue4m3_half(row[2 * h + 1]) * y->d);
        }
    }
    return vaddvq_f32(acc);
}

static void TERN_FN(fp4_multiply_rows)(int format, const void *weights, int64_t rows, int64_t columns,
                                       int64_t row_begin, int64_t row_end, const void *activations,
                                       int64_t batch, float *output) {
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_bytes = tern_portable_prepared_bytes(format, columns);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++) {
            const tern_act_block *y = (const tern_act_block *)(const void *)((const uint8_t *)activations + (size_t)b * act_bytes);
            output[b * rows + r] = format == TERN_MXFP4 ? TERN_FN(fp4_dot_mxfp4)(row, y, columns / 32)
                                                        : TERN_FN(fp4_dot_nvfp4)(row, y, columns / 64);
        }
    }
}
