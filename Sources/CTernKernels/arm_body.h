// aarch64 kernels written once and compiled with and without the dot-product
// extension: the including file defines TERN_FN(name) and TERN_DOT_S8(acc, a, b)
// (acc + four int32 sums of four s8 * s8 products each).
//
// Not a standalone header: include only from arm_neon.c.

static inline float half_at(const uint8_t *p) {
    __fp16 h;
    memcpy(&h, p, 2);
    return (float)h;
}

// q4 nibbles are 0...15, so they are valid signed int8 operands too.
static inline __attribute__((always_inline)) float dot_q4(const uint8_t *row, const int has_min,
                                                          const tern_act_block *y, int64_t blocks) {
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    float32x4_t acc = vdupq_n_f32(0.0f);
    float mins = 0.0f;
    for (int64_t i = 0; i < blocks; i++, row += stride, y++) {
        const float dx = half_at(row);
        mins += (has_min ? half_at(row + 2) : dx) * y->s;
        const uint8x16_t packed = vld1q_u8(row + (has_min ? 4 : 2));
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0f)));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(packed, 4));
        int32x4_t sumi = TERN_DOT_S8(vdupq_n_s32(0), lo, vld1q_s8(y->qs));
        sumi = TERN_DOT_S8(sumi, hi, vld1q_s8(y->qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), dx * y->d);
    }
    return vaddvq_f32(acc) + mins;
}

static inline __attribute__((always_inline)) float dot_q8(const uint8_t *row, const size_t stride, const size_t offset,
                                                          const tern_act_block *y, int64_t blocks) {
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < blocks; i++, row += stride, y++) {
        const int8_t *qs = (const int8_t *)(row + offset);
        int32x4_t sumi = TERN_DOT_S8(vdupq_n_s32(0), vld1q_s8(qs), vld1q_s8(y->qs));
        sumi = TERN_DOT_S8(sumi, vld1q_s8(qs + 16), vld1q_s8(y->qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), half_at(row) * y->d);
    }
    return vaddvq_f32(acc);
}

#include "arm_fp4.h"
#include "arm_ternary.h"

void TERN_FN(multiply_rows)(int format, const void *weights, int64_t rows, int64_t columns,
                            int64_t row_begin, int64_t row_end, const void *activations,
                            int64_t batch, float *output) {
    if (format == TERN_MXFP4 || format == TERN_NVFP4) {
        TERN_FN(fp4_multiply_rows)(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    if (tern_is_ternary(format)) {
        TERN_FN(ternary_multiply_rows)(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_blocks = tern_portable_prepared_bytes(format, columns) / sizeof(tern_act_block);
    const int64_t blocks = columns / 32;
    const float *xf = activations;
    const tern_act_block *xq = activations;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        float *out = output + r;
        for (int64_t b = 0; b < batch; b++) {
            switch (format) {
            case TERN_F32: out[b * rows] = dot_f32((const float *)row, xf + b * columns, columns); break;
            case TERN_F16: out[b * rows] = dot_f16((const uint16_t *)row, xf + b * columns, columns); break;
            case TERN_BF16: out[b * rows] = dot_bf16((const uint16_t *)row, xf + b * columns, columns); break;
            case TERN_Q4_0: out[b * rows] = dot_q4(row, 0, xq + b * act_blocks, blocks); break;
            case TERN_Q4_1: out[b * rows] = dot_q4(row, 1, xq + b * act_blocks, blocks); break;
            case TERN_Q8_0: out[b * rows] = dot_q8(row, sizeof(tern_block_q8_0), 2, xq + b * act_blocks, blocks); break;
            case TERN_Q8_1: out[b * rows] = dot_q8(row, sizeof(tern_block_q8_1), 4, xq + b * act_blocks, blocks); break;
            default: return;
            }
        }
    }
}
