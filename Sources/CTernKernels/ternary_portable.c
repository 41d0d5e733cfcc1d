// Ternary formats on the portable path: weight quantization (the only
// implementation: every path writes the same bytes), expansion, activation
// preparation and plain-C dot products. Layouts are described in ternary.h.
#include "internal.h"

#include <math.h>
#include <stdlib.h>

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
    if (format == TERN_T2_64R) {
        tern_ternary_prepare(TERN_T2_64, x, columns, prepared);
        tern_t2r_build_tables(prepared, columns);
        return;
    }
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

static void t2r_portable_multiply_rows(const void *weights, int64_t rows, int64_t columns, int64_t row_begin,
                                       int64_t row_end, const void *activations, int64_t batch, float *output);

void tern_ternary_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                         int64_t row_begin, int64_t row_end, const void *activations,
                                         int64_t batch, float *output) {
    if (format == TERN_T2_64R) {
        t2r_portable_multiply_rows(weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    const size_t row_bytes = tern_row_bytes(format, columns);
    const size_t act_blocks = (size_t)(columns / 32);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++)
            output[b * rows + r] = dot_ternary(format, row, (const tern_act_block *)activations + b * act_blocks, columns);
    }
}

// MARK: - t2_64r (ternary.h): repacking, tables, rows

// Row of byte j of a t2_64r chunk.
static inline int t2r_row(int j) { return j < 8 ? j : j < 16 ? j + 8 : j < 24 ? j - 8 : j; }

// One row of tq1_0 or tq2_0 as t2_64 (`columns` values): each 256-value block
// becomes four 64-value blocks with its scale's f16 bits and its codes, so the
// values are the same bit for bit.
static void tq_row_to_t2_64(int format, const uint8_t *source, uint8_t *destination, int64_t columns) {
    const size_t bytes = tern_ternary_block_bytes(format);
    uint8_t c[256];
    for (int64_t i = 0; i < columns / 256; i++, source += bytes) {
        block_codes(format, source, c);
        const size_t offset = format == TERN_TQ1_0 ? 52 : 64;
        for (int q = 0; q < 4; q++, destination += 18) {
            const uint8_t *v = c + 64 * q;
            memcpy(destination, source + offset, 2);
            for (int j = 0; j < 16; j++)
                destination[2 + j] = (uint8_t)(v[j] | v[j + 16] << 2 | v[j + 32] << 4 | v[j + 48] << 6);
        }
    }
}

// The 32 t2_64 rows at `first` (`row_bytes` apart) as one t2_64r group.
static void t2r_interleave(const uint8_t *first, size_t row_bytes, int64_t blocks, uint8_t *out) {
    for (int64_t b = 0; b < blocks; b++, first += 18, out += TERN_T2R_BLOCK_BYTES) {
        for (int r = 0; r < TERN_T2R_ROWS; r++) memcpy(out + 2 * r, first + (size_t)r * row_bytes, 2);
        uint8_t *chunks = out + 64;
        for (int j = 0; j < TERN_T2R_ROWS; j++) {
            const uint8_t *qs = first + (size_t)t2r_row(j) * row_bytes + 2;
            for (int k = 0; k < 16; k++) {
                // value v sits in bits 2 (v / 16) of qs[v % 16]
                int nibble[2];
                for (int h = 0; h < 2; h++) {
                    const int v = 2 * k + 32 * h;
                    nibble[h] = ((qs[v % 16] >> (2 * (v / 16))) & 3) | ((qs[(v + 1) % 16] >> (2 * ((v + 1) / 16))) & 3) << 2;
                }
                chunks[32 * k + j] = (uint8_t)(nibble[0] | nibble[1] << 4);
            }
        }
    }
}

int tern_ternary_repack(int format, const void *source, void *destination, int64_t rows, int64_t columns) {
    const int64_t values = format == TERN_T2_64 ? 64 : 256;
    if (!(format == TERN_T2_64 || format == TERN_TQ1_0 || format == TERN_TQ2_0) || columns <= 0 ||
        columns % values != 0 || rows < TERN_T2R_ROWS)
        return format;
    const int64_t blocks = columns / 64, groups = rows / TERN_T2R_ROWS;
    const size_t row_bytes = (size_t)blocks * 18;  // t2_64's, and t2_64r's per row
    const size_t source_row_bytes = tern_row_bytes(format, columns);
    const uint8_t *w = source;
    uint8_t *out = destination;
    if (format == TERN_T2_64) {
        for (int64_t g = 0; g < groups; g++, out += (size_t)blocks * TERN_T2R_BLOCK_BYTES)
            t2r_interleave(w + (size_t)g * TERN_T2R_ROWS * row_bytes, row_bytes, blocks, out);
        memcpy(out, w + (size_t)groups * TERN_T2R_ROWS * row_bytes, (size_t)(rows - groups * TERN_T2R_ROWS) * row_bytes);
        return TERN_T2_64R;
    }
    // tq1_0, tq2_0: each group's rows go through t2_64 (32 rows of scratch).
    uint8_t *group = malloc(TERN_T2R_ROWS * row_bytes);
    if (group == NULL) return format;
    for (int64_t g = 0; g < groups; g++, out += (size_t)blocks * TERN_T2R_BLOCK_BYTES) {
        for (int r = 0; r < TERN_T2R_ROWS; r++)
            tq_row_to_t2_64(format, w + (size_t)(g * TERN_T2R_ROWS + r) * source_row_bytes, group + (size_t)r * row_bytes,
                            columns);
        t2r_interleave(group, row_bytes, blocks, out);
    }
    free(group);
    for (int64_t r = groups * TERN_T2R_ROWS; r < rows; r++, out += row_bytes)
        tq_row_to_t2_64(format, w + (size_t)r * source_row_bytes, out, columns);
    return TERN_T2_64R;
}

void tern_t2r_build_tables(const void *prepared, int64_t columns) {
    const tern_act_block *y = prepared;
    uint8_t *table = (uint8_t *)prepared + tern_t2r_tables_offset(columns);
    for (int64_t p = 0; p < columns / 2; p++, table += 32) {
        const int8_t *q = y[p / 16].qs + 2 * (p % 16);
        for (int i = 0; i < 16; i++) {
            const int t = ((i & 3) - 1) * q[0] + ((i >> 2) - 1) * q[1];
            table[i] = (uint8_t)(t & 0xff);
            table[16 + i] = (uint8_t)((t >> 8) & 0xff);
        }
    }
}

// The t2_64 codes (0...3) of row i (< 32) of a t2_64r group block, in value order.
static void t2r_codes(const uint8_t *block, int i, uint8_t *c) {
    int j = 0;
    while (t2r_row(j) != i) j++;
    for (int k = 0; k < 16; k++) {
        const uint8_t byte = block[64 + 32 * k + j];
        c[2 * k] = byte & 3;
        c[2 * k + 1] = (byte >> 2) & 3;
        c[2 * k + 32] = (byte >> 4) & 3;
        c[2 * k + 33] = (byte >> 6) & 3;
    }
}

// The rows a call computes: every group whose first row lies in [row_begin,
// row_end) (all 32 of its rows, even past row_end: the calls of one product
// partition the rows, so each group has exactly one owner), then the plain
// rows past the groups that lie in the range.
static void t2r_groups(int64_t rows, int64_t row_begin, int64_t row_end, int64_t *g0, int64_t *g1, int64_t *t0) {
    const int64_t groups = rows / TERN_T2R_ROWS;
    *g0 = (row_begin + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS;
    *g1 = (row_end + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS;
    if (*g1 > groups) *g1 = groups;
    if (*g0 > *g1) *g0 = *g1;
    *t0 = row_begin > groups * TERN_T2R_ROWS ? row_begin : groups * TERN_T2R_ROWS;
}

static void t2r_portable_multiply_rows(const void *weights, int64_t rows, int64_t columns, int64_t row_begin,
                                       int64_t row_end, const void *activations, int64_t batch, float *output) {
    const int64_t blocks = columns / 64;
    const size_t act_bytes = tern_ternary_prepared_bytes(TERN_T2_64R, columns);
    int64_t g0, g1, t0;
    t2r_groups(rows, row_begin, row_end, &g0, &g1, &t0);
    uint8_t c[64];
    for (int64_t g = g0; g < g1; g++)
        for (int i = 0; i < TERN_T2R_ROWS; i++)
            for (int64_t b = 0; b < batch; b++) {
                const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
                const uint8_t *block = (const uint8_t *)weights + (size_t)g * blocks * TERN_T2R_BLOCK_BYTES;
                float sum = 0.0f;
                for (int64_t k = 0; k < blocks; k++, block += TERN_T2R_BLOCK_BYTES, y += 2) {
                    t2r_codes(block, i, c);
                    int isum = 0;
                    for (int j = 0; j < 64; j++) isum += (c[j] - 1) * y[j / 32].qs[j % 32];
                    sum += tern_half_to_float(tern_load_u16(block + 2 * i)) * (y->d * (float)isum);
                }
                output[b * rows + g * TERN_T2R_ROWS + i] = sum;
            }
    if (t0 < row_end) {
        // A group is 32 rows' bytes, so tail row r sits where it does in t2_64.
        const uint8_t *plain = weights;
        for (int64_t r = t0; r < row_end; r++)
            for (int64_t b = 0; b < batch; b++) {
                const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
                output[b * rows + r] = dot_ternary(TERN_T2_64, plain + (size_t)r * (size_t)blocks * 18, y, columns);
            }
    }
}

void tern_t2r_multiply_rows_float(const tern_kernels *k, const void *weights, int64_t rows, int64_t columns,
                                  int64_t row_begin, int64_t row_end, const float *input, int64_t batch,
                                  float *output) {
    (void)k;
    const int64_t blocks = columns / 64;
    int64_t g0, g1, t0;
    t2r_groups(rows, row_begin, row_end, &g0, &g1, &t0);
    float w[TERN_T2R_ROWS][64];
    uint8_t c[64];
    for (int64_t g = g0; g < g1; g++) {
        float *out = output + g * TERN_T2R_ROWS;
        for (int64_t b = 0; b < batch; b++)
            for (int i = 0; i < TERN_T2R_ROWS; i++) out[b * rows + i] = 0.0f;
        const uint8_t *block = (const uint8_t *)weights + (size_t)g * blocks * TERN_T2R_BLOCK_BYTES;
        for (int64_t kb = 0; kb < blocks; kb++, block += TERN_T2R_BLOCK_BYTES) {
            for (int i = 0; i < TERN_T2R_ROWS; i++) {
                const float d = tern_half_to_float(tern_load_u16(block + 2 * i));
                t2r_codes(block, i, c);
                for (int j = 0; j < 64; j++) w[i][j] = (float)(c[j] - 1) * d;
            }
            for (int64_t b = 0; b < batch; b++) {
                const float *x = input + b * columns + kb * 64;
                for (int i = 0; i < TERN_T2R_ROWS; i++) {
                    float sum = 0.0f;
                    for (int j = 0; j < 64; j++) sum += w[i][j] * x[j];
                    out[b * rows + i] += sum;
                }
            }
        }
    }
    const size_t row_bytes = (size_t)blocks * 18;
    float row[64];
    for (int64_t r = t0; r < row_end; r++) {
        // The tail rows follow the groups, at the offsets they have in t2_64.
        const uint8_t *plain = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++) output[b * rows + r] = 0.0f;
        for (int64_t kb = 0; kb < blocks; kb++) {
            tern_ternary_dequantize_row(TERN_T2_64, plain + kb * 18, row, 64);
            for (int64_t b = 0; b < batch; b++) {
                float sum = 0.0f;
                for (int j = 0; j < 64; j++) sum += row[j] * input[b * columns + kb * 64 + j];
                output[b * rows + r] += sum;
            }
        }
    }
}
