// Matrix-vector products of repacked q4_0r / q4_1r weights (q4r.h): decode.
// Part of x86_rows.h (same macros, same target features); include nowhere else.
//
// A group block holds eight rows' 32 values for one block in four registers, so
// one u8 * s8 multiply-add against four broadcast activation bytes gives eight
// rows times four columns, and the convert / scale / accumulate work is once per
// block for eight rows: about 37 vector instructions per 256 weights where the
// per-row kernel (dot_q4) spends about 90. Arithmetic and order are those of the
// batched tiles (x86_tiles_q4i.h): exact integer block sums, then per block
// acc = fma(dx * dy, sumi, acc), mins = mins + m * s, and acc + mins; so decode
// and batched products give the same bits for a row, whatever the thread split.
// Measured (Zen 3 VM, one thread, bench/q4r.sh, 576x576 to 1536x576): 32-38 GB/s
// of weights in cache vs 13-15 for q4 rows (2.4x); from DRAM 17-21 GB/s vs 12-15,
// about what one core streams here.

#ifndef TERN_Q4R_AHEAD
#define TERN_Q4R_AHEAD TERN_PREFETCH_AHEAD
#endif
static inline void q4r_prefetch(const uint8_t *p) {
    if (TERN_Q4R_AHEAD > 0) _mm_prefetch((const char *)p + TERN_Q4R_AHEAD, _MM_HINT_T0);
}

// One group block against one prepared block, continuing acc and mins (lane r: row r).
static inline __attribute__((always_inline)) void q4r_block(const uint8_t *block, const int has_min,
                                                            const tern_act_block *y, __m256 *acc, __m256 *mins) {
    const __m256i low = _mm256_set1_epi8(0x0f);
    const uint8_t *nibbles = block + (has_min ? 32 : 16);
    __m256i p[8];
    for (int k = 0; k < 4; k++) {
        const __m256i w = _mm256_loadu_si256((const __m256i *)(nibbles + 32 * k));
        p[k] = _mm256_maddubs_epi16(_mm256_and_si256(w, low), _mm256_set1_epi32((int)tern_load_u32(y->qs + 4 * k)));
        p[k + 4] = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(w, 4), low),
                                        _mm256_set1_epi32((int)tern_load_u32(y->qs + 16 + 4 * k)));
    }
    // |sum| <= 8 * 2 * 15 * 127 = 30480: exact in int16, in any order.
    const __m256i s = _mm256_add_epi16(_mm256_add_epi16(_mm256_add_epi16(p[0], p[1]), _mm256_add_epi16(p[2], p[3])),
                                       _mm256_add_epi16(_mm256_add_epi16(p[4], p[5]), _mm256_add_epi16(p[6], p[7])));
    const __m256 sumi = _mm256_cvtepi32_ps(_mm256_madd_epi16(s, _mm256_set1_epi16(1)));
    const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)block));
    *acc = _mm256_fmadd_ps(_mm256_mul_ps(dx, _mm256_broadcast_ss(&y->d)), sumi, *acc);
    const __m256 m = has_min ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(block + 16))) : dx;
    *mins = _mm256_add_ps(*mins, _mm256_mul_ps(m, _mm256_broadcast_ss(&y->s)));
}

// Blocks [0, blocks) of one group (consecutive group blocks at `group`).
static inline __attribute__((always_inline)) void q4r_group(const uint8_t *group, const int has_min,
                                                            const tern_act_block *y, int64_t blocks, __m256 *acc,
                                                            __m256 *mins) {
    const size_t stride = tern_q4r_group_block_bytes(has_min);
    for (int64_t i = 0; i < blocks; i++, group += stride) {
        // Groups follow one another: the whole row range is one stream. One
        // prefetch per 64 bytes (a block is 2.25 or 2.5 lines).
        q4r_prefetch(group);
        q4r_prefetch(group + 64);
        if (has_min) q4r_prefetch(group + 128);
        else if ((i & 3) == 3) q4r_prefetch(group + 128);
        q4r_block(group, has_min, y + i, acc, mins);
    }
}

// Lanes [lo, hi) of a group's sums to out[lo...hi).
static inline void q4r_store(__m256 acc, __m256 mins, int lo, int hi, float *out) {
    const __m256 sum = _mm256_add_ps(acc, mins);
    if (lo == 0 && hi == TERN_Q4R_ROWS) {
        _mm256_storeu_ps(out, sum);
        return;
    }
    float lanes[TERN_Q4R_ROWS];
    _mm256_storeu_ps(lanes, sum);
    memcpy(out + lo, lanes + lo, (size_t)(hi - lo) * sizeof(float));
}

static __attribute__((noinline)) void q4r_rows(int has_min, const uint8_t *weights, size_t row_bytes, int64_t rows,
                                               int64_t blocks, int64_t r0, int64_t r1, const tern_act_block *y,
                                               float *out) {
    const int64_t grouped = rows / TERN_Q4R_ROWS * TERN_Q4R_ROWS;
    const size_t group_bytes = TERN_Q4R_ROWS * row_bytes;
    // Whole groups; a range starting or ending inside one computes it all.
    for (int64_t r = r0 - r0 % TERN_Q4R_ROWS; r < r1 && r < grouped; r += TERN_Q4R_ROWS) {
        __m256 acc = _mm256_setzero_ps(), mins = _mm256_setzero_ps();
        if (has_min) q4r_group(weights + (size_t)(r / TERN_Q4R_ROWS) * group_bytes, 1, y, blocks, &acc, &mins);
        else q4r_group(weights + (size_t)(r / TERN_Q4R_ROWS) * group_bytes, 0, y, blocks, &acc, &mins);
        const int lo = r0 > r ? (int)(r0 - r) : 0, hi = r1 - r < TERN_Q4R_ROWS ? (int)(r1 - r) : TERN_Q4R_ROWS;
        q4r_store(acc, mins, lo, hi, out + r);
    }
    // The rows after the groups (fewer than eight, q4 layout): packed as one
    // group on the stack, a span at a time, for the same arithmetic.
    const int64_t t = r0 > grouped ? r0 : grouped;
    if (t >= r1) return;
    enum { SPAN = 64 };
    uint8_t packed[SPAN * 160];
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    const int n = (int)(r1 - t);
    __m256 acc = _mm256_setzero_ps(), mins = _mm256_setzero_ps();
    for (int64_t i0 = 0; i0 < blocks; i0 += SPAN) {
        const int64_t span = blocks - i0 < SPAN ? blocks - i0 : SPAN;
        tern_q4r_pack_group(has_min, weights + (size_t)t * row_bytes + (size_t)i0 * stride, row_bytes, n, span, packed);
        if (has_min) q4r_group(packed, 1, y + i0, span, &acc, &mins);
        else q4r_group(packed, 0, y + i0, span, &acc, &mins);
    }
    q4r_store(acc, mins, 0, n, out + t);
}
