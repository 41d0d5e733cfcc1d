// Batched q4_0 / q4_1 products over eight interleaved rows (prefill and batched
// decode). Part of x86_tiles.h (same macros, same target features); include
// nowhere else.
//
// Each (row, vector) dot product sums every block's 32 products exactly in
// integers, then does per block, in block order:
//   acc = fma(dx * dy, (float)sumi, acc)      mins = mins + m * s
// and returns acc + mins (m = dx for q4_0, whose s carries the -8 offset; see
// tern_act_block). Exact block sums are what ggml's scalar reference computes
// too; the per-row tiles before these summed each block's eight int32 lanes in
// float. The order does not depend on the batch, the tile, or how rows are split
// over threads: every lane of a tile is one row's sequence of operations
// (MatMulTileTests checks it bit for bit).
//
// Why interleave: with the eight rows' values for four columns side by side in
// one register, one u8 * s8 multiply-add against four broadcast activation bytes
// gives all eight rows' partial sums, and sums of a whole block stay in int16
// (a block's |sum of pair sums| <= 8 * 2 * 15 * 127 = 30480). The float work
// (convert, scale, accumulate) is then once per block for eight rows instead of
// once per block per row: about half the vector instructions of the per-row tiles,
// and twice their speed (single thread, Zen 3, 512 vectors: 56-62 GMAC/s vs 29-31).
// The interleaving happens per tile on the stack, so weights stay in ggml layout;
// weights repacked at load (q4_0r / q4_1r, q4r.h) are already in that order and
// only have their nibbles split (q4i_expand_repacked).

#define TERN_Q4I_ROWS 8  // rows per group: the lanes of one float vector
#ifndef TERN_Q4I_GROUPS
#define TERN_Q4I_GROUPS 1  // row groups per tile
#endif
#ifndef TERN_Q4I_VECTORS
#define TERN_Q4I_VECTORS 4  // activation vectors per tile (tiles_multiply passes whole groups of four)
#endif
#ifndef TERN_Q4I_SPAN
#define TERN_Q4I_SPAN 64  // blocks expanded at once per row group: 16 KB of values and 4 KB of scales
#endif

// Rows [row, row + n) (n <= 8), blocks [0, span) from `row`, into
//   qx: (span, 8 groups, 8 rows, 4 bytes), values 0...15; group g holds the block's
//       elements 4g...4g + 3 in ggml order (low nibbles of bytes 4g... for g < 4,
//       high nibbles of bytes 4(g - 4)... for g >= 4), so it meets bytes 4g... of y.
//   scales: (span, 2, 8) floats, dx then m of the 8 rows.
// Rows n...7 are zero, so their lanes compute zeros that are never stored.
static inline __attribute__((always_inline)) void q4i_expand(const uint8_t *row, size_t row_bytes, const int n,
                                                             const int has_min, int64_t span, uint8_t *qx,
                                                             float *scales) {
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    const size_t qs = has_min ? 4 : 2;
    const __m256i low = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < span; i++, row += stride) {
        __m128i q[TERN_Q4I_ROWS];
        uint16_t d[TERN_Q4I_ROWS], m[TERN_Q4I_ROWS];
        for (int r = 0; r < TERN_Q4I_ROWS; r++) {
            if (r < n) {
                const uint8_t *b = row + (size_t)r * row_bytes;
                // Rows come from DRAM in batched decoding: ask for them 2 KB ahead.
                prefetch_ahead(b);
                q[r] = _mm_loadu_si128((const __m128i *)(b + qs));
                d[r] = tern_load_u16(b);
                m[r] = has_min ? tern_load_u16(b + 2) : d[r];
            } else {
                q[r] = _mm_setzero_si128();
                d[r] = m[r] = 0;
            }
        }
        // Rows (r, r + 4) in the two 128-bit halves, then a 4 x 4 transpose of
        // 32-bit words in each half: group g of rows 0...3 | rows 4...7.
        const __m256i a0 = _mm256_set_m128i(q[4], q[0]), a1 = _mm256_set_m128i(q[5], q[1]);
        const __m256i a2 = _mm256_set_m128i(q[6], q[2]), a3 = _mm256_set_m128i(q[7], q[3]);
        const __m256i t0 = _mm256_unpacklo_epi32(a0, a1), t1 = _mm256_unpackhi_epi32(a0, a1);
        const __m256i t2 = _mm256_unpacklo_epi32(a2, a3), t3 = _mm256_unpackhi_epi32(a2, a3);
        const __m256i g[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                              _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
        __m256i *out = (__m256i *)(qx + (size_t)i * 256);
        for (int k = 0; k < 4; k++) {
            _mm256_store_si256(out + k, _mm256_and_si256(g[k], low));
            _mm256_store_si256(out + k + 4, _mm256_and_si256(_mm256_srli_epi16(g[k], 4), low));
        }
        const __m128i dh = _mm_setr_epi16((short)d[0], (short)d[1], (short)d[2], (short)d[3], (short)d[4],
                                          (short)d[5], (short)d[6], (short)d[7]);
        const __m128i mh = _mm_setr_epi16((short)m[0], (short)m[1], (short)m[2], (short)m[3], (short)m[4],
                                          (short)m[5], (short)m[6], (short)m[7]);
        _mm256_store_ps(scales + i * 16, _mm256_cvtph_ps(dh));
        _mm256_store_ps(scales + i * 16 + 8, _mm256_cvtph_ps(mh));
    }
}

// The same expansion from a repacked group (q4r.h: `span` group blocks at
// `group`), whose nibbles are already in q4i_expand's order.
static __attribute__((noinline)) void q4i_expand_repacked(const uint8_t *group, int has_min, int64_t span,
                                                          uint8_t *qx, float *scales) {
    const size_t stride = tern_q4r_group_block_bytes(has_min), nibbles = has_min ? 32 : 16;
    const __m256i low = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < span; i++, group += stride) {
        prefetch_ahead(group);
        prefetch_ahead(group + 64);
        prefetch_ahead(group + 128);
        __m256i *out = (__m256i *)(qx + (size_t)i * 256);
        for (int k = 0; k < 4; k++) {
            const __m256i g = _mm256_loadu_si256((const __m256i *)(group + nibbles + 32 * k));
            _mm256_store_si256(out + k, _mm256_and_si256(g, low));
            _mm256_store_si256(out + k + 4, _mm256_and_si256(_mm256_srli_epi16(g, 4), low));
        }
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)group));
        _mm256_store_ps(scales + i * 16, dx);
        _mm256_store_ps(scales + i * 16 + 8, has_min ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(group + 16))) : dx);
    }
}

// Blocks [0, span) of an expanded tile (G row groups, each `span * 256` bytes of
// values and `span * 16` floats of scales) against vectors y[v] (each already at
// the span's first block), continuing acc[g * V + v] (lane r: row 8g + r).
static inline __attribute__((always_inline)) void q4i_sums(const uint8_t *qx, const float *scales, const int G,
                                                           const int V, const tern_act_block *const *y,
                                                           int64_t span, __m256 *acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < span; i++) {
        __m256i s[TERN_Q4I_GROUPS * TERN_Q4I_VECTORS];
        _Pragma("unroll") for (int k = 0; k < 8; k++) {
            __m256i w[TERN_Q4I_GROUPS];
            _Pragma("unroll") for (int g = 0; g < G; g++)
                w[g] = _mm256_load_si256((const __m256i *)(qx + ((size_t)g * span + i) * 256 + 32 * k));
            _Pragma("unroll") for (int v = 0; v < V; v++) {
                const __m256i yk = _mm256_set1_epi32((int)tern_load_u32(y[v][i].qs + 4 * k));
                _Pragma("unroll") for (int g = 0; g < G; g++) {
                    const __m256i p = _mm256_maddubs_epi16(w[g], yk);
                    s[g * V + v] = k == 0 ? p : _mm256_add_epi16(s[g * V + v], p);
                }
            }
        }
        _Pragma("unroll") for (int g = 0; g < G; g++) {
            const __m256 dx = _mm256_load_ps(scales + ((size_t)g * span + i) * 16);
            _Pragma("unroll") for (int v = 0; v < V; v++) {
                const __m256 sumi = _mm256_cvtepi32_ps(_mm256_madd_epi16(s[g * V + v], ones));
                acc[g * V + v] = _mm256_fmadd_ps(_mm256_mul_ps(dx, _mm256_broadcast_ss(&y[v][i].d)), sumi, acc[g * V + v]);
            }
        }
    }
}

// The offset terms of the same blocks, continuing mins[g * V + v]; a loop of
// their own keeps q4i_sums's registers for the integer sums.
static inline __attribute__((always_inline)) void q4i_mins(const float *scales, const int G, const int V,
                                                           const tern_act_block *const *y, int64_t span,
                                                           __m256 *mins) {
    for (int64_t i = 0; i < span; i++)
        _Pragma("unroll") for (int g = 0; g < G; g++) {
            const __m256 m = _mm256_load_ps(scales + ((size_t)g * span + i) * 16 + 8);
            _Pragma("unroll") for (int v = 0; v < V; v++)
                mins[g * V + v] = _mm256_add_ps(mins[g * V + v], _mm256_mul_ps(m, _mm256_broadcast_ss(&y[v][i].s)));
        }
}

static __attribute__((noinline)) void q4i_expand_rows(const uint8_t *row, size_t row_bytes, int n, int has_min,
                                                      int64_t span, uint8_t *qx, float *scales) {
    if (has_min) q4i_expand(row, row_bytes, n, 1, span, qx, scales);
    else q4i_expand(row, row_bytes, n, 0, span, qx, scales);
}

enum { TERN_Q4I_TILE = TERN_Q4I_GROUPS * TERN_Q4I_VECTORS };

// One tile over one span; sums in and out through `io` (acc[TILE] then
// mins[TILE]), in registers in between.
static __attribute__((noinline)) void q4i_run(const uint8_t *qx, const float *scales,
                                              const tern_act_block *const *y_in, int64_t span, __m256 *io) {
    const tern_act_block *y[TERN_Q4I_VECTORS];
    __m256 sums[TERN_Q4I_TILE];
    for (int v = 0; v < TERN_Q4I_VECTORS; v++) y[v] = y_in[v];
    for (int t = 0; t < TERN_Q4I_TILE; t++) sums[t] = io[t];
    q4i_sums(qx, scales, TERN_Q4I_GROUPS, TERN_Q4I_VECTORS, y, span, sums);
    for (int t = 0; t < TERN_Q4I_TILE; t++) {
        io[t] = sums[t];
        sums[t] = io[TERN_Q4I_TILE + t];
    }
    q4i_mins(scales, TERN_Q4I_GROUPS, TERN_Q4I_VECTORS, y, span, sums);
    for (int t = 0; t < TERN_Q4I_TILE; t++) io[TERN_Q4I_TILE + t] = sums[t];
}

// output[b * rows + r] for rows [r0, r1) and vectors [0, batch), batch a multiple of 4.
// `repacked`: the weights are q4_0r / q4_1r (q4r.h), and tiles follow its groups
// (a range starting inside a group computes the whole group, stores its part).
// Not inlined: its ~25 KB of stack and the q8 tiles' are never needed at once.
static __attribute__((noinline)) void q4i_multiply_layout(int has_min, int repacked, const uint8_t *weights, size_t row_bytes,
                                                   int64_t rows, int64_t blocks, int64_t r0, int64_t r1,
                                                   const tern_act_block *act, size_t y_stride, int64_t batch,
                                                   float *output) {
    enum { G = TERN_Q4I_GROUPS, V = TERN_Q4I_VECTORS, TILE_ROWS = G * TERN_Q4I_ROWS, MAX_PASS = 256, MAX_CARRIED = 64 };
    const size_t stride = has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0);
    // Vectors per pass: their blocks of one span stay in L2 while the row tiles go by.
    const int64_t span_blocks = blocks < TERN_Q4I_SPAN ? blocks : TERN_Q4I_SPAN;
    int64_t pass = (int64_t)(TERN_TILE_ACT_BYTES / ((size_t)span_blocks * sizeof(tern_act_block))) / V * V;
    if (pass < V) pass = V;
    if (pass > MAX_PASS) pass = MAX_PASS;
    if (blocks > TERN_Q4I_SPAN && pass > MAX_CARRIED) pass = MAX_CARRIED;  // about 51 fit in L2 anyway
    uint8_t qx[G * TERN_Q4I_SPAN * 256] __attribute__((aligned(32)));
    float scales[G * TERN_Q4I_SPAN * 16] __attribute__((aligned(32)));
    // Rows longer than one span carry each tile's sums from span to span.
    __m256 carried[MAX_CARRIED / V][2 * G * V], single[2 * G * V];
    for (int64_t b0 = 0; b0 < batch; b0 += pass) {
        const int64_t b1 = b0 + pass < batch ? b0 + pass : batch;
        for (int64_t r = repacked ? r0 - r0 % TERN_Q4I_ROWS : r0; r < r1; r += TILE_ROWS) {
            const uint8_t *row = weights + (size_t)r * row_bytes;
            for (int64_t i0 = 0; i0 < blocks; i0 += TERN_Q4I_SPAN) {
                const int64_t span = blocks - i0 < TERN_Q4I_SPAN ? blocks - i0 : TERN_Q4I_SPAN;
                const int first = i0 == 0, last = i0 + span == blocks;
                for (int g = 0; g < G; g++) {
                    const int64_t left = r1 - r - g * TERN_Q4I_ROWS;
                    const int n = left < 0 ? 0 : left < TERN_Q4I_ROWS ? (int)left : TERN_Q4I_ROWS;
                    const uint8_t *first_row = row + (size_t)g * TERN_Q4I_ROWS * row_bytes;
                    // A whole group of a repacked matrix: its group blocks sit where its rows would.
                    if (repacked && n > 0 && r + (g + 1) * TERN_Q4I_ROWS <= rows / TERN_Q4I_ROWS * TERN_Q4I_ROWS)
                        q4i_expand_repacked(first_row + (size_t)i0 * tern_q4r_group_block_bytes(has_min), has_min, span,
                                            qx + (size_t)g * span * 256, scales + (size_t)g * span * 16);
                    else
                        q4i_expand_rows(first_row + (size_t)i0 * stride, row_bytes, n, has_min, span,
                                        qx + (size_t)g * span * 256, scales + (size_t)g * span * 16);
                }
                for (int64_t b = b0; b < b1; b += V) {
                    const tern_act_block *y[V];
                    __m256 *sums = first && last ? single : carried[(b - b0) / V];
                    for (int v = 0; v < V; v++) y[v] = act + (size_t)(b + v) * y_stride + i0;
                    if (first)
                        for (int t = 0; t < 2 * G * V; t++) sums[t] = _mm256_setzero_ps();
                    q4i_run(qx, scales, y, span, sums);
                    if (!last) continue;
                    for (int g = 0; g < G; g++) {
                        const int64_t left = r1 - r - g * TERN_Q4I_ROWS, skip = r0 - r - g * TERN_Q4I_ROWS;
                        const int n = left < 0 ? 0 : left < TERN_Q4I_ROWS ? (int)left : TERN_Q4I_ROWS;
                        const int lo = skip > 0 ? (int)skip : 0;  // rows before r0 (repacked only)
                        for (int v = 0; v < V && n > lo; v++) {
                            float *out = output + (b + v) * rows + r + g * TERN_Q4I_ROWS;
                            const __m256 sum = _mm256_add_ps(sums[g * V + v], sums[G * V + g * V + v]);
                            if (lo == 0 && n == TERN_Q4I_ROWS) {
                                _mm256_storeu_ps(out, sum);
                            } else {
                                float lanes[TERN_Q4I_ROWS];
                                _mm256_storeu_ps(lanes, sum);
                                memcpy(out + lo, lanes + lo, (size_t)(n - lo) * sizeof(float));
                            }
                        }
                    }
                }
            }
        }
    }
}

// q4i_multiply_layout for ggml-layout rows.
static void q4i_multiply(int has_min, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t blocks,
                         int64_t r0, int64_t r1, const tern_act_block *act, size_t y_stride, int64_t batch,
                         float *output) {
    q4i_multiply_layout(has_min, 0, weights, row_bytes, rows, blocks, r0, r1, act, y_stride, batch, output);
}
