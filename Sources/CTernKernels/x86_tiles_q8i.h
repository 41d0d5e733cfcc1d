// Batched q8_0 / q8_1 products over eight interleaved rows (prefill and batched
// decode). Part of x86_tiles.h (same macros, same target features); include
// nowhere else.
//
// Each (row, vector) dot product sums every block's 32 products exactly in
// integers, then does per block, in block order:
//   acc = fma(dx * dy, (float)sumi, acc)
// and returns acc: the order of x86_tiles_q4i.h without the offset term.
//
// Why int16 pairs: a q8 weight times a q8 activation does not fit maddubs (its
// unsigned operand would need |y| and x with y's signs, three multiply-port
// operations per four columns). Widened to int16 instead, one madd gives eight
// rows' sums over two columns in int32 lanes, with no sign work, and the float
// work (convert, scale, accumulate) is once per block for eight rows.
//
// Measured on Zen 3, one thread, 512 vectors: 48-54 GMAC/s against 34-38 for the
// per-row q8 tiles before these (2 x 8 rows or 8 vectors per tile: 37-44, their
// accumulators no longer fit the 16 registers).
//
// Layouts. A dword of four int8 values (c0, c1, c2, c3) is widened to the pairs
// (c0, c2) (low bytes of its 16-bit words) and (c1, c3) (high bytes): two shifts,
// no shuffles. Weights are interleaved per tile on the stack, activations once
// per pass, both in that pairing:
//   qx: (span, 8 dwords, 2 halves, 8 rows) int16 pairs: 512 bytes per block.
//   yp: (vectors, blocks, 2 halves, 8 dwords) int16 pairs: 64 bytes per block,
//       each pair broadcast to the eight rows' lanes by one load.

#define TERN_Q8I_ROWS 8
#define TERN_Q8I_VECTORS 4  // activation vectors per tile (tiles_multiply passes whole groups of four)
#define TERN_Q8I_SPAN 32    // blocks expanded at once: 16 KB of weights and 1 KB of scales
// Widened activations per pass: they stay in L2 while the row tiles go by.
#ifndef TERN_Q8I_PAIR_BYTES
#define TERN_Q8I_PAIR_BYTES (64 * 1024)
#endif
// Blocks per column chunk: four vectors' pairs fill the buffer.
#define TERN_Q8I_CHUNK (TERN_Q8I_PAIR_BYTES / (64 * TERN_Q8I_VECTORS))

// Low and high bytes of each 16-bit word, sign-extended: (c0, c2) and (c1, c3) per dword.
static inline __attribute__((always_inline)) void q8i_widen(__m256i v, __m256i *even, __m256i *odd) {
    *even = _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8);
    *odd = _mm256_srai_epi16(v, 8);
}

// Rows [row, row + n) (n <= 8), blocks [0, span) from `row`, into qx and
// scales (span, 8) of dx. Rows n...7 are zero.
static inline __attribute__((always_inline)) void q8i_expand(const uint8_t *row, size_t row_bytes, const int n,
                                                             const size_t stride, const size_t offset, int64_t span,
                                                             uint8_t *qx, float *scales) {
    for (int64_t i = 0; i < span; i++, row += stride) {
        __m256i q[TERN_Q8I_ROWS];
        uint16_t d[TERN_Q8I_ROWS];
        for (int r = 0; r < TERN_Q8I_ROWS; r++) {
            if (r < n) {
                const uint8_t *b = row + (size_t)r * row_bytes;
                prefetch_ahead(b);
                q[r] = _mm256_loadu_si256((const __m256i *)(b + offset));
                d[r] = tern_load_u16(b);
            } else {
                q[r] = _mm256_setzero_si256();
                d[r] = 0;
            }
        }
        __m256i *out = (__m256i *)(qx + (size_t)i * 512);
        // Per 16-byte half h: rows (r, r + 4) in the two 128-bit lanes, then a
        // 4 x 4 transpose of dwords in each lane: dword 4h + k of rows 0...3 | 4...7.
        for (int h = 0; h < 2; h++) {
            __m256i a[4];
            for (int r = 0; r < 4; r++)
                a[r] = h == 0 ? _mm256_permute2x128_si256(q[r], q[r + 4], 0x20)
                              : _mm256_permute2x128_si256(q[r], q[r + 4], 0x31);
            const __m256i t0 = _mm256_unpacklo_epi32(a[0], a[1]), t1 = _mm256_unpackhi_epi32(a[0], a[1]);
            const __m256i t2 = _mm256_unpacklo_epi32(a[2], a[3]), t3 = _mm256_unpackhi_epi32(a[2], a[3]);
            const __m256i g[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                                  _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
            for (int k = 0; k < 4; k++) {
                __m256i even, odd;
                q8i_widen(g[k], &even, &odd);
                _mm256_store_si256(out + 2 * (4 * h + k), even);
                _mm256_store_si256(out + 2 * (4 * h + k) + 1, odd);
            }
        }
        const __m128i dh = _mm_setr_epi16((short)d[0], (short)d[1], (short)d[2], (short)d[3], (short)d[4],
                                          (short)d[5], (short)d[6], (short)d[7]);
        _mm256_store_ps(scales + i * 8, _mm256_cvtph_ps(dh));
    }
}

// Vectors [0, count) of `y` (stride y_stride blocks), blocks [0, blocks), into
// yp: (count, blocks, 64 bytes).
static inline void q8i_pairs(const tern_act_block *y, size_t y_stride, int64_t count, int64_t blocks, uint8_t *yp) {
    for (int64_t v = 0; v < count; v++)
        for (int64_t i = 0; i < blocks; i++) {
            __m256i even, odd;
            q8i_widen(_mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i].qs), &even, &odd);
            __m256i *out = (__m256i *)(yp + ((size_t)v * blocks + i) * 64);
            _mm256_store_si256(out, even);
            _mm256_store_si256(out + 1, odd);
        }
}

// One tile (8 rows x V vectors) over one span, continuing io[v] (lane r: row r).
// yp[v] and y[v] are at the span's first block.
static __attribute__((noinline)) void q8i_run(const uint8_t *qx, const float *scales, const uint8_t *const *yp_in,
                                              const tern_act_block *const *y_in, int64_t span, __m256 *io) {
    enum { V = TERN_Q8I_VECTORS };
    const uint8_t *yp[V];
    const tern_act_block *y[V];
    __m256 acc[V];  // in registers for the whole span
    for (int v = 0; v < V; v++) {
        yp[v] = yp_in[v];
        y[v] = y_in[v];
        acc[v] = io[v];
    }
    for (int64_t i = 0; i < span; i++) {
        __m256i s[V];
        const __m256i *x = (const __m256i *)(qx + (size_t)i * 512);
        _Pragma("unroll") for (int k = 0; k < 8; k++) {
            const __m256i xe = _mm256_load_si256(x + 2 * k), xo = _mm256_load_si256(x + 2 * k + 1);
            _Pragma("unroll") for (int v = 0; v < V; v++) {
                const int32_t *p = (const int32_t *)(yp[v] + (size_t)i * 64);
                const __m256i both = _mm256_add_epi32(_mm256_madd_epi16(xe, _mm256_set1_epi32(p[k])),
                                                      _mm256_madd_epi16(xo, _mm256_set1_epi32(p[8 + k])));
                s[v] = k == 0 ? both : _mm256_add_epi32(s[v], both);
            }
        }
        const __m256 dx = _mm256_load_ps(scales + i * 8);
        _Pragma("unroll") for (int v = 0; v < V; v++)
            acc[v] = _mm256_fmadd_ps(_mm256_mul_ps(dx, _mm256_broadcast_ss(&y[v][i].d)), _mm256_cvtepi32_ps(s[v]), acc[v]);
    }
    for (int v = 0; v < V; v++) io[v] = acc[v];
}

static __attribute__((noinline)) void q8i_expand_rows(const uint8_t *row, size_t row_bytes, int n, int format,
                                                      int64_t span, uint8_t *qx, float *scales) {
    if (format == TERN_Q8_0) q8i_expand(row, row_bytes, n, sizeof(tern_block_q8_0), 2, span, qx, scales);
    else q8i_expand(row, row_bytes, n, sizeof(tern_block_q8_1), 4, span, qx, scales);
}

// output[b * rows + r] for rows [r0, r1) and vectors [0, batch), batch a multiple of 4.
// Not inlined: its ~90 KB of stack and the q4 tiles' are never needed at once.
static __attribute__((noinline)) void q8i_multiply(int format, const uint8_t *weights, size_t row_bytes, int64_t rows,
                                                   int64_t blocks, int64_t r0, int64_t r1, const tern_act_block *act,
                                                   size_t y_stride, int64_t batch, float *output) {
    enum { V = TERN_Q8I_VECTORS, MAX_PASS = 256 };
    const size_t stride = format == TERN_Q8_0 ? sizeof(tern_block_q8_0) : sizeof(tern_block_q8_1);
    // Rows longer than one chunk are done chunk by chunk: a tile's sums go to
    // `output` after one chunk and come back as the next chunk's start, which is
    // the same sequence of float operations as one pass over the row.
    const int64_t chunk = blocks < TERN_Q8I_CHUNK ? blocks : TERN_Q8I_CHUNK;
    int64_t pass = (int64_t)(TERN_Q8I_PAIR_BYTES / ((size_t)chunk * 64)) / V * V;
    if (pass > MAX_PASS) pass = MAX_PASS;
    uint8_t qx[TERN_Q8I_SPAN * 512] __attribute__((aligned(32)));
    float scales[TERN_Q8I_SPAN * 8] __attribute__((aligned(32)));
    uint8_t yp[TERN_Q8I_PAIR_BYTES] __attribute__((aligned(32)));
    __m256 sums[MAX_PASS];  // one tile's rows for every vector of the pass
    for (int64_t b0 = 0; b0 < batch; b0 += pass) {
        const int64_t b1 = b0 + pass < batch ? b0 + pass : batch;
        for (int64_t c0 = 0; c0 < blocks; c0 += chunk) {
            const int64_t c1 = c0 + chunk < blocks ? c0 + chunk : blocks;
            q8i_pairs(act + (size_t)b0 * y_stride + c0, y_stride, b1 - b0, c1 - c0, yp);
            for (int64_t r = r0; r < r1; r += TERN_Q8I_ROWS) {
                const int n = r1 - r < TERN_Q8I_ROWS ? (int)(r1 - r) : TERN_Q8I_ROWS;
                for (int64_t b = b0; b < b1; b++) {
                    if (c0 == 0) {
                        sums[b - b0] = _mm256_setzero_ps();
                    } else if (n == TERN_Q8I_ROWS) {
                        sums[b - b0] = _mm256_loadu_ps(output + b * rows + r);
                    } else {
                        float lanes[TERN_Q8I_ROWS] = {0};
                        memcpy(lanes, output + b * rows + r, (size_t)n * sizeof(float));
                        sums[b - b0] = _mm256_loadu_ps(lanes);
                    }
                }
                for (int64_t i0 = c0; i0 < c1; i0 += TERN_Q8I_SPAN) {
                    const int64_t span = c1 - i0 < TERN_Q8I_SPAN ? c1 - i0 : TERN_Q8I_SPAN;
                    q8i_expand_rows(weights + (size_t)r * row_bytes + (size_t)i0 * stride, row_bytes, n, format, span,
                                    qx, scales);
                    for (int64_t b = b0; b < b1; b += V) {
                        const uint8_t *p[V];
                        const tern_act_block *y[V];
                        for (int v = 0; v < V; v++) {
                            p[v] = yp + ((size_t)(b - b0 + v) * (c1 - c0) + (i0 - c0)) * 64;
                            y[v] = act + (size_t)(b + v) * y_stride + i0;
                        }
                        q8i_run(qx, scales, p, y, span, sums + (b - b0));
                    }
                }
                for (int64_t b = b0; b < b1; b++) {
                    if (n == TERN_Q8I_ROWS) {
                        _mm256_storeu_ps(output + b * rows + r, sums[b - b0]);
                    } else {
                        float lanes[TERN_Q8I_ROWS];
                        _mm256_storeu_ps(lanes, sums[b - b0]);
                        memcpy(output + b * rows + r, lanes, (size_t)n * sizeof(float));
                    }
                }
            }
        }
    }
}
