// Ternary formats (tq1_0, tq2_0, t2_64) on aarch64. Part of arm_body.h (same
// TERN_FN and TERN_DOT_S8), so every function name goes through TERN_FN: the body
// is included once per instruction set. Layouts and the prepared activations
// are described in ternary.h; codes 0...3 are valid signed int8 operands.

// Sum of code * q over one activation block: 16 codes for values 0-15 and 16 for 16-31.
static inline int32x4_t TERN_FN(ternary_pair)(int32x4_t acc, uint8x16_t lo, uint8x16_t hi, const tern_act_block *y) {
    acc = TERN_DOT_S8(acc, vreinterpretq_s8_u8(lo), vld1q_s8(y->qs));
    return TERN_DOT_S8(acc, vreinterpretq_s8_u8(hi), vld1q_s8(y->qs + 16));
}

// The leading base-3 digit of each byte: (q * 3) >> 8 = [q >= 86] + [q >= 171].
static inline uint8x16_t TERN_FN(leading_trits)(uint8x16_t q) {
    return vaddq_u8(vshrq_n_u8(vcgeq_u8(q, vdupq_n_u8(86)), 7), vshrq_n_u8(vcgeq_u8(q, vdupq_n_u8(171)), 7));
}

// sum(code * q) over one weight block and its activation group.
static inline int32_t TERN_FN(ternary_block)(int format, const uint8_t *block, const tern_act_block *y) {
    const uint8x16_t three = vdupq_n_u8(3);
    int32x4_t acc = vdupq_n_s32(0);
    if (format == TERN_T2_64) {
        const uint8x16_t w = vld1q_u8(block + 2);
        acc = TERN_FN(ternary_pair)(acc, vandq_u8(w, three), vandq_u8(vshrq_n_u8(w, 2), three), y);
        acc = TERN_FN(ternary_pair)(acc, vandq_u8(vshrq_n_u8(w, 4), three), vshrq_n_u8(w, 6), y + 1);
    } else if (format == TERN_TQ2_0) {
        for (int h = 0; h < 2; h++) {
            const uint8x16_t w0 = vld1q_u8(block + 32 * h), w1 = vld1q_u8(block + 32 * h + 16);
            const tern_act_block *yh = y + 4 * h;
            acc = TERN_FN(ternary_pair)(acc, vandq_u8(w0, three), vandq_u8(w1, three), yh);
            acc = TERN_FN(ternary_pair)(acc, vandq_u8(vshrq_n_u8(w0, 2), three), vandq_u8(vshrq_n_u8(w1, 2), three), yh + 1);
            acc = TERN_FN(ternary_pair)(acc, vandq_u8(vshrq_n_u8(w0, 4), three), vandq_u8(vshrq_n_u8(w1, 4), three), yh + 2);
            acc = TERN_FN(ternary_pair)(acc, vshrq_n_u8(w0, 6), vshrq_n_u8(w1, 6), yh + 3);
        }
    } else {  // tq1_0: multiplying by 3^n (mod 256) brings digit n to the front
        uint8x16_t a0 = vld1q_u8(block), a1 = vld1q_u8(block + 16);  // values 32n + m
        for (int n = 0; n < 5; n++) {
            acc = TERN_FN(ternary_pair)(acc, TERN_FN(leading_trits)(a0), TERN_FN(leading_trits)(a1), y + n);
            a0 = vmulq_u8(a0, three);
            a1 = vmulq_u8(a1, three);
        }
        uint8x16_t b = vld1q_u8(block + 32);  // values 160 + 16n + m
        uint8x16_t t[5];
        for (int n = 0; n < 5; n++, b = vmulq_u8(b, three)) t[n] = TERN_FN(leading_trits)(b);
        // qh: value 240 + j + 4n is digit n of qh[j]; lane j + 4n gets qh[j] * 3^n.
        static const uint8_t pow3[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};
        const uint8x16_t h = vmulq_u8(vreinterpretq_u8_u32(vdupq_n_u32(tern_load_u32(block + 48))), vld1q_u8(pow3));
        acc = TERN_FN(ternary_pair)(acc, t[0], t[1], y + 5);
        acc = TERN_FN(ternary_pair)(acc, t[2], t[3], y + 6);
        acc = TERN_FN(ternary_pair)(acc, t[4], TERN_FN(leading_trits)(h), y + 7);
    }
    return vaddvq_s32(acc);
}

static float TERN_FN(dot_ternary)(int format, const uint8_t *row, const tern_act_block *y, int64_t blocks) {
    const size_t bytes = tern_ternary_block_bytes(format);
    const size_t scale = format == TERN_T2_64 ? 0 : format == TERN_TQ2_0 ? 64 : 52;
    const int64_t groups = tern_ternary_block_values(format) / 32;
    float sum = 0.0f;
    for (int64_t i = 0; i < blocks; i++, row += bytes, y += groups) {
        const float dw = half_at(row + scale);
        sum += dw * (y->d * (float)TERN_FN(ternary_block)(format, row, y) + y->s);
    }
    return sum;
}

static void TERN_FN(ternary_multiply_rows)(int format, const void *weights, int64_t rows, int64_t columns,
                                           int64_t row_begin, int64_t row_end, const void *activations,
                                           int64_t batch, float *output) {
    if (format == TERN_T2_64R) {  // no NEON lookup-table kernel yet; Swift repacks only for x86 (ternary.h)
        tern_ternary_portable_multiply_rows(format, weights, rows, columns, row_begin, row_end, activations, batch, output);
        return;
    }
    const size_t row_bytes = tern_row_bytes(format, columns);
    const int64_t blocks = columns / tern_ternary_block_values(format);
    const tern_act_block *y = activations;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int64_t b = 0; b < batch; b++)
            output[b * rows + r] = TERN_FN(dot_ternary)(format, row, y + b * (columns / 32), blocks);
    }
}
