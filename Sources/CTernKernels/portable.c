// The portable path: plain C that any compiler and CPU runs. It is also the
// only implementation of weight quantization (not hot: done once per file), so
// every path produces bit-identical quantized weights.
#include "internal.h"

#include <float.h>
#include <math.h>

// Rounding must match ggml's reference quantizers exactly: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

size_t tern_row_bytes(int format, int64_t columns) {
    switch (format) {
    case TERN_F32: return (size_t)columns * 4;
    case TERN_F16: case TERN_BF16: return (size_t)columns * 2;
    case TERN_Q4_0: case TERN_Q4_0R: return (size_t)(columns / 32) * sizeof(tern_block_q4_0);  // q4r: on average
    case TERN_Q4_1: case TERN_Q4_1R: return (size_t)(columns / 32) * sizeof(tern_block_q4_1);
    case TERN_Q8_0: return (size_t)(columns / 32) * sizeof(tern_block_q8_0);
    case TERN_Q8_1: return (size_t)(columns / 32) * sizeof(tern_block_q8_1);
    case TERN_MXFP4: return (size_t)(columns / 32) * sizeof(tern_block_mxfp4);
    case TERN_NVFP4: return (size_t)(columns / 64) * sizeof(tern_block_nvfp4);
    case TERN_TQ1_0: case TERN_TQ2_0: case TERN_T2_64: case TERN_T2_64R:
        return (size_t)(columns / tern_ternary_block_values(format)) * tern_ternary_block_bytes(format);
    default: return 0;
    }
}

// MARK: - Weight quantization (ggml's quantize_row_*_ref)

static void quantize_q4_0(const float *x, tern_block_q4_0 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, x += 32) {
        // The scale keeps the sign of the largest-magnitude value so it maps to -8.
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++) {
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        }
        const float d = max / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = tern_float_to_half(d);
        for (int j = 0; j < 16; j++) {
            const float x0 = x[j] * id, x1 = x[j + 16] * id;
            int q0 = (int8_t)(x0 + 8.5f), q1 = (int8_t)(x1 + 8.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void quantize_q4_1(const float *x, tern_block_q4_1 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, x += 32) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < 32; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = tern_float_to_half(d);
        y[i].m = tern_float_to_half(min);
        for (int j = 0; j < 16; j++) {
            const float x0 = (x[j] - min) * id, x1 = (x[j + 16] - min) * id;
            int q0 = (int8_t)(x0 + 0.5f), q1 = (int8_t)(x1 + 0.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

// Quantizes one block of 32 to int8 with d = amax / 127, q = round(x / d)
// (ties away from zero, as roundf). Returns the unrounded d; *sum gets sum(q).
static float quantize_block_q8(const float *x, int8_t *qs, int *sum) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int total = 0;
    for (int j = 0; j < 32; j++) {
        qs[j] = (int8_t)roundf(x[j] * id);
        total += qs[j];
    }
    *sum = total;
    return d;
}

// Quantizes one block of activations as llama.cpp does at run time on x86 (its
// AVX2 quantize_row_q8_0/q8_1): q = round-half-even(x * 127 / amax). This differs
// from the weight quantizer above only on exact ties and in the last ulp of the
// scale, but matching it keeps logits on the same side of llama.cpp's near ties.
static float quantize_block_q8_activation(const float *x, int8_t *qs, int *sum) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int total = 0;
    for (int j = 0; j < 32; j++) {
        qs[j] = (int8_t)nearbyintf(x[j] * id);  // default rounding mode: to nearest, ties to even
        total += qs[j];
    }
    *sum = total;
    return amax / 127;
}

static void quantize_q8_0(const float *x, tern_block_q8_0 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, x += 32) {
        int sum;
        y[i].d = tern_float_to_half(quantize_block_q8(x, y[i].qs, &sum));
    }
}

static void quantize_q8_1(const float *x, tern_block_q8_1 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, x += 32) {
        int sum;
        const float d = quantize_block_q8(x, y[i].qs, &sum);
        y[i].d = tern_float_to_half(d);
        y[i].s = tern_float_to_half((float)sum * d);
    }
}

void tern_portable_quantize_row(int format, const float *x, void *y, int64_t count) {
    switch (format) {
    case TERN_F32: memcpy(y, x, (size_t)count * 4); break;
    case TERN_F16:
        for (int64_t i = 0; i < count; i++) ((uint16_t *)y)[i] = tern_float_to_half(x[i]);
        break;
    case TERN_BF16:
        for (int64_t i = 0; i < count; i++) ((uint16_t *)y)[i] = tern_float_to_bfloat(x[i]);
        break;
    case TERN_Q4_0: quantize_q4_0(x, y, count / 32); break;
    case TERN_Q4_1: quantize_q4_1(x, y, count / 32); break;
    case TERN_Q8_0: quantize_q8_0(x, y, count / 32); break;
    case TERN_Q8_1: quantize_q8_1(x, y, count / 32); break;
    case TERN_MXFP4: case TERN_NVFP4: tern_fp4_quantize_row(format, x, y, count); break;
    case TERN_TQ1_0: case TERN_TQ2_0: case TERN_T2_64: tern_ternary_quantize_row(format, x, y, count); break;
    default: break;
    }
}

// MARK: - Dequantization

void tern_portable_dequantize_row(int format, const void *x, float *y, int64_t count) {
    const int64_t blocks = count / 32;
    switch (format) {
    case TERN_F32: memcpy(y, x, (size_t)count * 4); break;
    case TERN_F16:
        for (int64_t i = 0; i < count; i++) y[i] = tern_half_to_float(((const uint16_t *)x)[i]);
        break;
    case TERN_BF16:
        for (int64_t i = 0; i < count; i++) y[i] = tern_bfloat_to_float(((const uint16_t *)x)[i]);
        break;
    case TERN_Q4_0:
        for (int64_t i = 0; i < blocks; i++, y += 32) {
            const tern_block_q4_0 *b = (const tern_block_q4_0 *)x + i;
            const float d = tern_half_to_float(b->d);
            for (int j = 0; j < 16; j++) {
                y[j] = (float)((b->qs[j] & 0x0f) - 8) * d;
                y[j + 16] = (float)((b->qs[j] >> 4) - 8) * d;
            }
        }
        break;
    case TERN_Q4_1:
        for (int64_t i = 0; i < blocks; i++, y += 32) {
            const tern_block_q4_1 *b = (const tern_block_q4_1 *)x + i;
            const float d = tern_half_to_float(b->d), m = tern_half_to_float(b->m);
            for (int j = 0; j < 16; j++) {
                y[j] = (float)(b->qs[j] & 0x0f) * d + m;
                y[j + 16] = (float)(b->qs[j] >> 4) * d + m;
            }
        }
        break;
    case TERN_Q8_0:
        for (int64_t i = 0; i < blocks; i++, y += 32) {
            const tern_block_q8_0 *b = (const tern_block_q8_0 *)x + i;
            const float d = tern_half_to_float(b->d);
            for (int j = 0; j < 32; j++) y[j] = (float)b->qs[j] * d;
        }
        break;
    case TERN_Q8_1:
        for (int64_t i = 0; i < blocks; i++, y += 32) {
            const tern_block_q8_1 *b = (const tern_block_q8_1 *)x + i;
            const float d = tern_half_to_float(b->d);
            for (int j = 0; j < 32; j++) y[j] = (float)b->qs[j] * d;
        }
        break;
    case TERN_MXFP4: case TERN_NVFP4: tern_fp4_dequantize_row(format, x, y, count); break;
    case TERN_TQ1_0: case TERN_TQ2_0: case TERN_T2_64: tern_ternary_dequantize_row(format, x, y, count); break;
    default: break;
    }
}

// MARK: - Activation preparation

static int is_float_format(int format) {
    return format == TERN_F32 || format == TERN_F16 || format == TERN_BF16;
}

size_t tern_portable_prepared_bytes(int format, int64_t columns) {
    format = tern_q4r_base(format);  // repacked q4 reads q4's activations
    if (is_float_format(format)) return 0;
    if (format == TERN_MXFP4 || format == TERN_NVFP4) return tern_fp4_prepared_bytes(format, columns);
    if (format == TERN_T2_64R) return tern_ternary_prepared_bytes(format, columns);
    return (size_t)(columns / 32) * sizeof(tern_act_block);
}

void tern_portable_prepare(int format, const float *x, int64_t columns, void *prepared) {
    format = tern_q4r_base(format);
    if (is_float_format(format)) return;
    if (tern_is_ternary(format)) {
        tern_ternary_prepare(format, x, columns, prepared);
        return;
    }
    tern_act_block *y = prepared;
    for (int64_t i = 0; i < columns / 32; i++, x += 32) {
        int sum;
        const float d = quantize_block_q8_activation(x, y[i].qs, &sum);
        const float d16 = tern_half_to_float(tern_float_to_half(d));
        y[i].d = d16;
        switch (format) {
        case TERN_Q4_1: y[i].s = tern_half_to_float(tern_float_to_half((float)sum * d)); break;
        case TERN_Q4_0: y[i].s = -8.0f * d16 * (float)sum; break;
        case TERN_MXFP4: y[i].s = -12.0f * d16 * (float)sum; break;
        default: y[i].s = 0.0f; break;
        }
    }
    if (format == TERN_MXFP4 || format == TERN_NVFP4) tern_fp4_finish_prepare(format, prepared, columns);
}

// MARK: - Dot products

static float dot_f32(const float *w, const float *x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += tern_half_to_float(w[i]) * x[i];
    return sum;
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += tern_bfloat_to_float(w[i]) * x[i];
    return sum;
}

// Both 4-bit formats: sum over blocks of (dx * dy) * sum(q * qy) + mx * s, where
// mx is q4_1's min, or q4_0's scale with s = -8 * dy * sum(qy).
static float dot_q4(const uint8_t *row, int has_min, const tern_act_block *y, int64_t blocks) {
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    float sum = 0.0f;
    for (int64_t i = 0; i < blocks; i++, row += stride) {
        const float dx = tern_half_to_float(tern_load_u16(row));
        const float mx = has_min ? tern_half_to_float(tern_load_u16(row + 2)) : dx;
        const uint8_t *qs = row + (has_min ? 4 : 2);
        int sumi = 0;
        for (int j = 0; j < 16; j++) sumi += (qs[j] & 0x0f) * y[i].qs[j] + (qs[j] >> 4) * y[i].qs[j + 16];
        sum += (dx * y[i].d) * (float)sumi + mx * y[i].s;
    }
    return sum;
}

static float dot_q8(const uint8_t *row, size_t stride, size_t offset, const tern_act_block *y, int64_t blocks) {
    float sum = 0.0f;
    for (int64_t i = 0; i < blocks; i++, row += stride) {
        const float dx = tern_half_to_float(tern_load_u16(row));
        const int8_t *qs = (const int8_t *)(row + offset);
        int sumi = 0;
        for (int j = 0; j < 32; j++) sumi += qs[j] * y[i].qs[j];
        sum += (dx * y[i].d) * (float)sumi;
    }
    return sum;
}

void tern_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                 int64_t row_begin, int64_t row_end, const void *activations,
                                 int64_t batch, float *output) {
    if (format == TERN_MXFP4 || format == TERN_NVFP4) {
        tern_fp4_portable_multiply_rows(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    if (tern_is_ternary(format)) {
        tern_ternary_portable_multiply_rows(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    if (tern_is_q4r(format)) {
        tern_q4r_portable_multiply_rows(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_bytes = is_float_format(format) ? (size_t)columns * 4 : tern_portable_prepared_bytes(format, columns);
    const int64_t blocks = columns / 32;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++) {
            const void *x = (const uint8_t *)activations + (size_t)b * act_bytes;
            float value = 0.0f;
            switch (format) {
            case TERN_F32: value = dot_f32((const float *)row, x, columns); break;
            case TERN_F16: value = dot_f16((const uint16_t *)row, x, columns); break;
            case TERN_BF16: value = dot_bf16((const uint16_t *)row, x, columns); break;
            case TERN_Q4_0: value = dot_q4(row, 0, x, blocks); break;
            case TERN_Q4_1: value = dot_q4(row, 1, x, blocks); break;
            case TERN_Q8_0: value = dot_q8(row, sizeof(tern_block_q8_0), 2, x, blocks); break;
            case TERN_Q8_1: value = dot_q8(row, sizeof(tern_block_q8_1), 4, x, blocks); break;
            default: break;
            }
            output[b * rows + r] = value;
        }
    }
}
