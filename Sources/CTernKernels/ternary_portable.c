// Ternary formats on the portable path: weight quantization (the only
// implementation: every path writes the same bytes), expansion, activation
// preparation and plain-C dot products. Layouts are described in ternary.h.
#include "internal.h"

#include <math.h>

// Rounding must match ggml's reference quantizers exactly: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

// MARK: - Codes

// round(v) clamped to [-1, 1] (ties away from zero, as lroundf), plus one.
// NaN gives code 1 (zero) instead of lroundf's unspecified result.
static inline int ternary_code(float v) { return v >= 0.5f ? 2 : v <= -0.5f ? 0 : 1; }

// ggml stores a group of base-3 digits as the fraction ceil(v * 256 / 243).
static inline uint8_t pack_trits(int v) { return (uint8_t)((v * 256 + 242) / 243); }

// Digit n (most significant first) of a byte written by pack_trits.
static inline uint8_t trit(uint8_t byte, int n) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    const uint8_t q = (uint8_t)(byte * pow3[n]);
    return (uint8_t)(((uint16_t)q * 3) >> 8);
}

// The codes (0...3) of one block, in value order.
static void block_codes(int format, const uint8_t *block, uint8_t *c) {
    switch (format) {
    case TERN_TQ2_0:
        for (int h = 0; h < 2; h++)
            for (int n = 0; n < 4; n++)
                for (int m = 0; m < 32; m++) c[128 * h + 32 * n + m] = (block[32 * h + m] >> (2 * n)) & 3;
        break;
    case TERN_TQ1_0:
        for (int n = 0; n < 5; n++) {
            for (int m = 0; m < 32; m++) c[32 * n + m] = trit(block[m], n);
            for (int m = 0; m < 16; m++) c[160 + 16 * n + m] = trit(block[32 + m], n);
        }
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 4; j++) c[240 + 4 * n + j] = trit(block[48 + j], n);
        break;
    default:  // t2_64
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 16; j++) c[16 * n + j] = (block[2 + j] >> (2 * n)) & 3;
        break;
    }
}

static float block_scale(int format, const uint8_t *block) {
    const size_t offset = format == TERN_TQ1_0 ? 52 : format == TERN_TQ2_0 ? 64 : 0;
    return tern_half_to_float(tern_load_u16(block + offset));
}

// MARK: - Quantization

// ggml's quantize_row_tq1_0_ref / tq2_0_ref: d = amax, code = round(x / d) + 1.
// Byte-identical for finite values (ggml's codes for infinities depend on the CPU).
static void quantize_tq(int format, const float *x, uint8_t *y) {
    float amax = 0.0f;
    for (int j = 0; j < 256; j++) {
        const float a = fabsf(x[j]);
        amax = amax > a ? amax : a;  // ggml's MAX(), NaN handling included
    }
    const float id = amax != 0.0f ? 1.0f / amax : 0.0f;
    uint8_t c[256];
    for (int j = 0; j < 256; j++) c[j] = (uint8_t)ternary_code(x[j] * id);
    if (format == TERN_TQ2_0) {
        for (int h = 0; h < 2; h++)
            for (int m = 0; m < 32; m++) {
                const uint8_t *v = c + 128 * h + m;
                y[32 * h + m] = (uint8_t)(v[0] | v[32] << 2 | v[64] << 4 | v[96] << 6);
            }
        memcpy(y + 64, &(uint16_t){tern_float_to_half(amax)}, 2);
        return;
    }
    for (int m = 0; m < 32; m++) {
        const uint8_t *v = c + m;
        y[m] = pack_trits(v[0] * 81 + v[32] * 27 + v[64] * 9 + v[96] * 3 + v[128]);
    }
    for (int m = 0; m < 16; m++) {
        const uint8_t *v = c + 160 + m;
        y[32 + m] = pack_trits(v[0] * 81 + v[16] * 27 + v[32] * 9 + v[48] * 3 + v[64]);
    }
    for (int j = 0; j < 4; j++) {
        const uint8_t *v = c + 240 + j;
        y[48 + j] = pack_trits((v[0] * 27 + v[4] * 9 + v[8] * 3 + v[12]) * 3);
    }
    memcpy(y + 52, &(uint16_t){tern_float_to_half(amax)}, 2);
}

// Tern's t2_64: BitNet b1.58's absmean codes, then the least-squares scale.
static void quantize_t2_64(const float *x, uint8_t *y) {
    float total = 0.0f;
    for (int j = 0; j < 64; j++) total += fabsf(x[j]);
    const float gamma = total / 64;
    const float id = gamma > 0.0f ? 1.0f / gamma : 0.0f;  // NaN or zero: every code is 0
    uint8_t c[64];
    float kept = 0.0f;
    int count = 0;
    for (int j = 0; j < 64; j++) {
        c[j] = (uint8_t)ternary_code(x[j] * id);
        if (c[j] != 1) {
            kept += fabsf(x[j]);
            count++;
        }
    }
    float d = count > 0 ? kept / (float)count : 0.0f;
    if (d > 65504.0f) d = 65504.0f;  // the largest finite f16: +-inf would turn zero codes into NaN
    memcpy(y, &(uint16_t){tern_float_to_half(d)}, 2);
    for (int j = 0; j < 16; j++) y[2 + j] = (uint8_t)(c[j] | c[j + 16] << 2 | c[j + 32] << 4 | c[j + 48] << 6);
}

void tern_ternary_quantize_row(int format, const float *x, void *destination, int64_t count) {
    const int64_t n = tern_ternary_block_values(format);
    const size_t bytes = tern_ternary_block_bytes(format);
    uint8_t *y = destination;
    for (int64_t i = 0; i < count / n; i++, x += n, y += bytes) {
        if (format == TERN_T2_64) quantize_t2_64(x, y);
        else quantize_tq(format, x, y);
    }
}

void tern_ternary_dequantize_row(int format, const void *source, float *y, int64_t count) {
    const int64_t n = tern_ternary_block_values(format);
    const size_t bytes = tern_ternary_block_bytes(format);
    const uint8_t *block = source;
    uint8_t c[256];
    for (int64_t i = 0; i < count / n; i++, block += bytes, y += n) {
        const float d = block_scale(format, block);
        block_codes(format, block, c);
        for (int64_t j = 0; j < n; j++) y[j] = (float)(c[j] - 1) * d;
    }
}

// MARK: - Activations

void tern_ternary_prepare(int format, const float *x, int64_t columns, void *prepared) {
    const int64_t n = tern_ternary_block_values(format);
    tern_act_block *y = prepared;
    for (int64_t g = 0; g < columns / n; g++, x += n, y += n / 32) {
        float amax = 0.0f;
        for (int64_t j = 0; j < n; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int64_t j = 0; j < n; j++) {
            const int8_t q = (int8_t)nearbyintf(x[j] * id);  // ties to even, as the q8 activations
            y[j / 32].qs[j % 32] = q;
            sum += q;
        }
        for (int64_t k = 0; k < n / 32; k++) {
            y[k].d = d;
            y[k].s = 0.0f;
        }
        y[0].s = -d * (float)sum;
    }
}

// MARK: - Dot products

static float dot_ternary(int format, const uint8_t *row, const tern_act_block *y, int64_t columns) {
    const int64_t n = tern_ternary_block_values(format);
    const size_t bytes = tern_ternary_block_bytes(format);
    uint8_t c[256];
    float sum = 0.0f;
    for (int64_t i = 0; i < columns / n; i++, row += bytes, y += n / 32) {
        block_codes(format, row, c);
        int isum = 0;
        for (int64_t j = 0; j < n; j++) isum += c[j] * y[j / 32].qs[j % 32];
        sum += block_scale(format, row) * (y[0].d * (float)isum + y[0].s);
    }
    return sum;
}

void tern_ternary_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                         int64_t row_begin, int64_t row_end, const void *activations,
                                         int64_t batch, float *output) {
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_blocks = (size_t)(columns / 32);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++)
            output[b * rows + r] = dot_ternary(format, row, (const tern_act_block *)activations + b * act_blocks, columns);
    }
}
