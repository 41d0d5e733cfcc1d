// t2_64r on x86: lookup-table rows (bitnet.cpp's TL1 idea, our own code). Part
// of x86_ternary.h (same macros, same target features); include nowhere else.
// The layout and the prepared tables are described in ternary.h.
//
// One chunk of 32 weight bytes holds, for 32 rows, the 4-bit code pairs of two
// column pairs. pshufb looks all 32 up at once in the column pair's 16-entry
// table, once for the low bytes of the int16 sums and once for the high bytes;
// unpacklo/hi interleave them back into int16 (rows 0-7 and 16-23, then 8-15
// and 24-31, which the row order of the chunk bytes turns into rows in order).
// 128 multiply-adds cost 4 shuffles, 4 unpacks and 4 adds, against 4 shifts,
// 4 ands, 4 maddubs and their widening and scaling in the direct kernels.
// The tables (32 bytes per column pair) are built once per input vector.

// tern_t2r_build_tables, vectorized: the same bytes.
static void TERN_FN(t2r_build_tables)(void *prepared, int64_t columns) {
    const tern_act_block *y = prepared;
    uint8_t *table = (uint8_t *)prepared + tern_t2r_tables_offset(columns);
    const __m256i w0 = _mm256_setr_epi16(-1, 0, 1, 2, -1, 0, 1, 2, -1, 0, 1, 2, -1, 0, 1, 2);
    const __m256i w1 = _mm256_setr_epi16(-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2);
    // Per lane: the low bytes of 8 entries, then their high bytes.
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                           0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (int64_t k = 0; k < columns / 32; k++) {
        const int8_t *q = y[k].qs;
        for (int p = 0; p < 16; p++, table += 32) {
            const __m256i t = _mm256_add_epi16(_mm256_mullo_epi16(w0, _mm256_set1_epi16(q[2 * p])),
                                               _mm256_mullo_epi16(w1, _mm256_set1_epi16(q[2 * p + 1])));
            _mm256_storeu_si256((__m256i *)table, _mm256_permute4x64_epi64(_mm256_shuffle_epi8(t, split), 0xd8));
        }
    }
}

// Bytes ahead of the block being read that t2r_group prefetches (8 blocks).
#define TERN_T2R_PREFETCH_AHEAD (8 * TERN_T2R_BLOCK_BYTES)

// One table (16 bytes, both lanes) looked up with 32 indices.
static inline __attribute__((always_inline)) __m256i t2r_lookup(const uint8_t *table, __m256i index) {
    return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)table)), index);
}

// out[0..32) = the 32 rows of group `group` times one prepared vector (y and its tables).
static inline __attribute__((always_inline)) void t2r_group(const uint8_t *group, int64_t blocks,
                                                             const tern_act_block *y, const uint8_t *tables,
                                                             float *out) {
    const __m256i low4 = _mm256_set1_epi8(15);
    __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
    for (int64_t b = 0; b < blocks; b++, group += TERN_T2R_BLOCK_BYTES, tables += 1024, y += 2) {
        // All nine lines of the block eight blocks on: the hardware prefetcher alone
        // left the group's stream at 0.6x of its speed from cache (Zen 3, 30 layers
        // of SmolLM2's shapes, one thread: 97 -> 71 us per layer).
        for (int line = 0; line < TERN_T2R_BLOCK_BYTES; line += 64)
            _mm_prefetch((const char *)group + TERN_T2R_PREFETCH_AHEAD + line, _MM_HINT_T0);
        const uint8_t *chunks = group + 64;
        __m256i lo = _mm256_setzero_si256(), hi = lo;  // int16 sums: rows 0-7 | 8-15, rows 16-23 | 24-31
        for (int k = 0; k < 16; k++) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(chunks + 32 * k));
            const __m256i i0 = _mm256_and_si256(x, low4);
            const __m256i i1 = _mm256_and_si256(_mm256_srli_epi16(x, 4), low4);
            const __m256i l0 = t2r_lookup(tables + 32 * k, i0), h0 = t2r_lookup(tables + 32 * k + 16, i0);
            const __m256i l1 = t2r_lookup(tables + 512 + 32 * k, i1), h1 = t2r_lookup(tables + 528 + 32 * k, i1);
            lo = _mm256_add_epi16(lo, _mm256_add_epi16(_mm256_unpacklo_epi8(l0, h0), _mm256_unpacklo_epi8(l1, h1)));
            hi = _mm256_add_epi16(hi, _mm256_add_epi16(_mm256_unpackhi_epi8(l0, h0), _mm256_unpackhi_epi8(l1, h1)));
        }
        const __m256 d = _mm256_set1_ps(y->d);
        const __m128i *scales = (const __m128i *)group;
#define T2R_ROWS8(acc, sums, n)                                                                               \
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(sums)),                                 \
                              _mm256_mul_ps(d, _mm256_cvtph_ps(_mm_loadu_si128(scales + (n)))), acc)
        T2R_ROWS8(o0, _mm256_castsi256_si128(lo), 0);
        T2R_ROWS8(o1, _mm256_extracti128_si256(lo, 1), 1);
        T2R_ROWS8(o2, _mm256_castsi256_si128(hi), 2);
        T2R_ROWS8(o3, _mm256_extracti128_si256(hi, 1), 3);
#undef T2R_ROWS8
    }
    _mm256_storeu_ps(out, o0);
    _mm256_storeu_ps(out + 8, o1);
    _mm256_storeu_ps(out + 16, o2);
    _mm256_storeu_ps(out + 24, o3);
}

// output[b * rows + r] for vectors [b0, b1) and the rows a call owns (ternary_portable.c's
// t2r_groups: whole groups that start in [r0, r1), then the plain t2_64 rows past them).
static void t2r_rows(const uint8_t *weights, int64_t rows, int64_t columns, int64_t r0, int64_t r1,
                     const void *activations, size_t act_bytes, int64_t b0, int64_t b1, float *output) {
    const int64_t blocks = columns / 64, groups = rows / TERN_T2R_ROWS;
    int64_t g0 = (r0 + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS, g1 = (r1 + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS;
    if (g1 > groups) g1 = groups;
    for (int64_t g = g0; g < g1; g++)
        for (int64_t b = b0; b < b1; b++) {
            const uint8_t *y = (const uint8_t *)activations + (size_t)b * act_bytes;
            t2r_group(weights + (size_t)(g * blocks) * TERN_T2R_BLOCK_BYTES, blocks, (const tern_act_block *)y,
                      y + tern_t2r_tables_offset(columns), output + b * rows + g * TERN_T2R_ROWS);
        }
    const int64_t t0 = r0 > groups * TERN_T2R_ROWS ? r0 : groups * TERN_T2R_ROWS;
    const size_t row_bytes = (size_t)blocks * 18;  // tail rows sit where they do in t2_64
    for (int64_t r = t0; r < r1; r++)
        for (int64_t b = b0; b < b1; b++) {
            const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
            output[b * rows + r] = dot_ternary(TERN_T2_64, weights + (size_t)r * row_bytes, y, blocks);
        }
}

// MARK: - f32 activations

// multiply_rows_float for t2_64r (the same rows as t2r_rows): each group block
// is expanded once to f32 as [value][row] (8 KB, in L1), so each vector's
// 64 values cost 4 multiply-adds apiece over the group's 32 rows in lanes, with
// no horizontal sums.
void TERN_FN(t2r_multiply_rows_float)(const void *weights, int64_t rows, int64_t columns, int64_t r0, int64_t r1,
                                      const float *input, int64_t batch, float *output) {
    const int64_t blocks = columns / 64, groups = rows / TERN_T2R_ROWS;
    int64_t g0 = (r0 + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS, g1 = (r1 + TERN_T2R_ROWS - 1) / TERN_T2R_ROWS;
    if (g1 > groups) g1 = groups;
    if (g0 > g1) g0 = g1;
    float w[64][TERN_T2R_ROWS];
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    for (int64_t g = g0; g < g1; g++) {
        float *out = output + g * TERN_T2R_ROWS;
        for (int64_t b = 0; b < batch; b++)
            for (int i = 0; i < TERN_T2R_ROWS; i++) out[b * rows + i] = 0.0f;
        const uint8_t *block = (const uint8_t *)weights + (size_t)(g * blocks) * TERN_T2R_BLOCK_BYTES;
        for (int64_t kb = 0; kb < blocks; kb++, block += TERN_T2R_BLOCK_BYTES) {
            __m256 d[4];
            for (int n = 0; n < 4; n++) d[n] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)block + n));
            for (int k = 0; k < 16; k++) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(block + 64 + 32 * k));
                static const int value_offset[4] = {0, 1, 32, 33};
                for (int n = 0; n < 4; n++) {
                    // Codes minus one of value 2k + value_offset[n], bytes in chunk order.
                    const __m256i c = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(x, 2 * n), three), one);
                    const __m128i lo = _mm256_castsi256_si128(c), hi = _mm256_extracti128_si256(c, 1);
                    float *v = w[2 * k + value_offset[n]];
                    // Bytes 0-7, 16-23, 8-15, 24-31 hold rows 0-7, 8-15, 16-23, 24-31.
                    _mm256_storeu_ps(v, _mm256_mul_ps(d[0], _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
                    _mm256_storeu_ps(v + 8, _mm256_mul_ps(d[1], _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
                    _mm256_storeu_ps(v + 16, _mm256_mul_ps(d[2], _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
                    _mm256_storeu_ps(v + 24, _mm256_mul_ps(d[3], _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
                }
            }
            for (int64_t b = 0; b < batch; b++) {
                const float *xb = input + b * columns + kb * 64;
                float *ob = out + b * rows;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < 64; j++) {
                    const __m256 xj = _mm256_broadcast_ss(xb + j);
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w[j]), xj, a0);
                    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w[j] + 8), xj, a1);
                    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w[j] + 16), xj, a2);
                    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w[j] + 24), xj, a3);
                }
                _mm256_storeu_ps(ob, _mm256_add_ps(_mm256_loadu_ps(ob), a0));
                _mm256_storeu_ps(ob + 8, _mm256_add_ps(_mm256_loadu_ps(ob + 8), a1));
                _mm256_storeu_ps(ob + 16, _mm256_add_ps(_mm256_loadu_ps(ob + 16), a2));
                _mm256_storeu_ps(ob + 24, _mm256_add_ps(_mm256_loadu_ps(ob + 24), a3));
            }
        }
    }
    // The plain rows past the groups: the portable code (few rows).
    const int64_t t0 = r0 > groups * TERN_T2R_ROWS ? r0 : groups * TERN_T2R_ROWS;
    if (t0 < r1) tern_t2r_multiply_rows_float(NULL, weights, rows, columns, t0, r1, input, batch, output);
}
