// MXFP4 and NVFP4 in plain C: quantization (bit-identical to ggml's
// quantize_row_mxfp4_ref / quantize_row_nvfp4_ref), expansion to f32, and the
// portable matrix rows. Every kernel path uses these conversions.
#include "fp4.h"

#include <math.h>

// Rounding must match ggml's reference quantizers exactly: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

// MARK: - Quantization

// The code whose value (times the half scale d) is nearest to x; on a tie the
// lower code wins, and a NaN gives code 0, as in ggml's search over all 16.
// Only the codes of x's sign (and 0) are tried: an opposite-signed code k is
// never strictly nearer than code 0, since fl(|k| d + |x|) >= |x|.
static uint8_t nearest_code(float x, float d) {
    const int first = signbit(x) ? 8 : 0;
    uint8_t best = 0;
    float best_error = fabsf(0.0f * d - x);
    for (int code = first + 1; code < first + 8; code++) {
        const float error = fabsf((float)tern_fp4_values[code] * d - x);
        if (error < best_error) {
            best = (uint8_t)code;
            best_error = error;
        }
    }
    return best;
}

// 16 values (two runs of `half`) to codes: value j < half goes to the low
// nibble of byte j, value j + half to its high nibble.
static void pack_codes(const float *x, float d, int half, uint8_t *qs) {
    for (int j = 0; j < half; j++) qs[j] = (uint8_t)(nearest_code(x[j], d) | nearest_code(x[j + half], d) << 4);
}

static float absolute_max(const float *x, int count) {
    float amax = 0.0f;
    for (int j = 0; j < count; j++) {
        if (amax < fabsf(x[j])) amax = fabsf(x[j]);  // NaNs never compare greater
    }
    return amax;
}

// ggml's E8M0 exponent for a block: floor(log2(amax)) - 2 + 127, so amax lands
// in [4, 8) times the unit 2^(e - 127) and 6 (the largest code) is close to it.
// ggml converts that float straight to uint8_t; outside 0...255 (amax below
// 2^-125, or infinite) C leaves the result undefined and x86 compilers give the
// low byte of the int32 conversion, 0x80000000 for infinity. We do the same.
static uint8_t mxfp4_exponent(float amax) {
    if (!(amax > 0.0f)) return 0;
    const float e = floorf(log2f(amax)) - 2 + 127;
    if (!isfinite(e)) return 0;
    return (uint8_t)(int32_t)e;
}

// ggml's f32 -> UE4M3 (ggml_fp32_to_ue4m3): mantissa rounded half up from
// the f32 bits; below 2^-6 a subnormal rounded from x * 2^9 and capped at 7;
// from 2^8 up the largest normal, 448.
static uint8_t ue4m3_from_float(float x) {
    if (!(x > 0.0f)) return 0;
    if (x > 448.0f) x = 448.0f;
    const uint32_t bits = tern_float_bits(x);
    int exponent = (int)((bits >> 23) & 0xff) - 127 + 7;
    if (exponent <= 0) {
        const int m = (int)(x * 512.0f + 0.5f);
        return m < 1 ? 0 : m > 7 ? 7 : (uint8_t)m;
    }
    if (exponent >= 15) return 0x7e;
    int mantissa = (int)((bits >> 20) & 7) + (int)((bits >> 19) & 1);
    if (mantissa > 7) {
        mantissa = 0;
        if (++exponent >= 15) return 0x7e;
    }
    return (uint8_t)(exponent << 3 | mantissa);
}

static void quantize_mxfp4(const float *x, tern_block_mxfp4 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, x += 32) {
        y[i].e = mxfp4_exponent(absolute_max(x, 32));
        pack_codes(x, tern_e8m0_half(y[i].e), 16, y[i].qs);
    }
}

static void quantize_nvfp4(const float *x, tern_block_nvfp4 *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++) {
        for (int s = 0; s < 4; s++, x += 16) {
            // amax / 6 maps the largest code (6) onto amax.
            y[i].d[s] = ue4m3_from_float(absolute_max(x, 16) / 6.0f);
            pack_codes(x, tern_ue4m3_half(y[i].d[s]), 8, y[i].qs + 8 * s);
        }
    }
}

void tern_fp4_quantize_row(int format, const float *source, void *destination, int64_t count) {
    if (format == TERN_MXFP4) quantize_mxfp4(source, destination, count / 32);
    if (format == TERN_NVFP4) quantize_nvfp4(source, destination, count / 64);
}

// MARK: - Expansion

// `half` codes' low nibbles then their high nibbles, times d.
static void expand_codes(const uint8_t *qs, float d, int half, float *y) {
    for (int j = 0; j < half; j++) {
        y[j] = (float)tern_fp4_values[qs[j] & 0x0f] * d;
        y[j + half] = (float)tern_fp4_values[qs[j] >> 4] * d;
    }
}

void tern_fp4_dequantize_row(int format, const void *source, float *y, int64_t count) {
    if (format == TERN_MXFP4) {
        const tern_block_mxfp4 *x = source;
        for (int64_t i = 0; i < count / 32; i++, y += 32) expand_codes(x[i].qs, tern_e8m0_half(x[i].e), 16, y);
    }
    if (format == TERN_NVFP4) {
        const tern_block_nvfp4 *x = source;
        for (int64_t i = 0; i < count / 64; i++) {
            for (int s = 0; s < 4; s++, y += 16) expand_codes(x[i].qs + 8 * s, tern_ue4m3_half(x[i].d[s]), 8, y);
        }
    }
}

// MARK: - Matrix rows

size_t tern_fp4_prepared_bytes(int format, int64_t columns) {
    const int64_t blocks = columns / 32;
    const size_t copy = format == TERN_MXFP4 ? (size_t)((blocks + 1) / 2) * sizeof(tern_mxfp4_pair)
                                             : (size_t)(columns / 64) * sizeof(tern_nvfp4_group);
    return (size_t)blocks * sizeof(tern_act_block) + copy;
}

static void pair_mxfp4(const tern_act_block *y, int64_t blocks, tern_mxfp4_pair *pairs) {
    memset(pairs, 0, (size_t)((blocks + 1) / 2) * sizeof(tern_mxfp4_pair));
    for (int64_t i = 0; i < blocks; i++) {
        tern_mxfp4_pair *pair = pairs + i / 2;
        const int half = (int)(i % 2);
        memcpy(pair->low + 16 * half, y[i].qs, 16);
        memcpy(pair->high + 16 * half, y[i].qs + 16, 16);
        for (int j = 0; j < 4; j++) {
            pair->d[4 * half + j] = y[i].d;
            pair->s[4 * half + j] = y[i].s / 4;  // exact: a power of two
        }
    }
}

static void group_nvfp4(const tern_act_block *y, int64_t blocks, tern_nvfp4_group *groups) {
    for (int64_t g = 0; g < blocks / 2; g++) {
        for (int s = 0; s < 4; s++) {
            const int8_t *values = y[2 * g + s / 2].qs + 16 * (s % 2);
            memcpy(groups[g].low + 8 * s, values, 8);
            memcpy(groups[g].high + 8 * s, values + 8, 8);
        }
        for (int j = 0; j < 4; j++) {
            groups[g].d[j] = y[2 * g].d;
            groups[g].d[4 + j] = y[2 * g + 1].d;
        }
    }
}

void tern_fp4_finish_prepare(int format, void *prepared, int64_t columns) {
    const tern_act_block *y = prepared;
    const int64_t blocks = columns / 32;
    void *copy = (tern_act_block *)prepared + blocks;
    if (format == TERN_MXFP4) pair_mxfp4(y, blocks, copy);
    else group_nvfp4(y, blocks, copy);
}

// Σ value(code) · qy over `half` bytes of codes against 2 * half activations
// laid out like the codes (low nibbles first).
static int dot_codes(const uint8_t *qs, const int8_t *qy, int half) {
    int sum = 0;
    for (int j = 0; j < half; j++) sum += tern_fp4_values[qs[j] & 0x0f] * qy[j] + tern_fp4_values[qs[j] >> 4] * qy[j + half];
    return sum;
}

// One prepared block of 32 per mxfp4 block; (dx * dy) * Σ, as ggml.
static float dot_mxfp4(const tern_block_mxfp4 *x, const tern_act_block *y, int64_t blocks) {
    float sum = 0.0f;
    for (int64_t i = 0; i < blocks; i++) sum += (tern_e8m0_half(x[i].e) * y[i].d) * (float)dot_codes(x[i].qs, y[i].qs, 16);
    return sum;
}

// Two prepared blocks per nvfp4 block, each spanning two 16-value sub-blocks.
static float dot_nvfp4(const tern_block_nvfp4 *x, const tern_act_block *y, int64_t blocks) {
    float sum = 0.0f;
    for (int64_t i = 0; i < blocks; i++) {
        for (int s = 0; s < 4; s++) {
            const tern_act_block *yb = y + 2 * i + s / 2;
            const int sumi = dot_codes(x[i].qs + 8 * s, yb->qs + 16 * (s % 2), 8);
            sum += (tern_ue4m3_half(x[i].d[s]) * yb->d) * (float)sumi;
        }
    }
    return sum;
}

void tern_fp4_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                     int64_t row_begin, int64_t row_end, const void *activations,
                                     int64_t batch, float *output) {
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_bytes = tern_portable_prepared_bytes(format, columns);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++) {
            const tern_act_block *y = (const tern_act_block *)(const void *)((const uint8_t *)activations + (size_t)b * act_bytes);
            output[b * rows + r] = format == TERN_MXFP4 ? dot_mxfp4((const tern_block_mxfp4 *)row, y, columns / 32)
                                                        : dot_nvfp4((const tern_block_nvfp4 *)row, y, columns / 64);
        }
    }
}
