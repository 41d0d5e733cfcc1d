// Register tiles for batched products of quantized rows (prefill and batched
// decode). Part of x86_body.h (same macros, same target features); include
// nowhere else. q4_0 and q4_1 go to x86_tiles_q4i.h (eight interleaved rows,
// exact integer block sums); this file has the q8 tiles.
//
// A q8 tile is R weight rows x V activation vectors with one 8-lane accumulator
// per (row, vector): each activation block is read once per R rows from L1, and
// the scale products of the tile come from a few vector multiplies. Every (row,
// vector) dot product does exactly the float operations of dot_q8_x4 in the same
// order (per block: p = dx * dy, acc += p * sumi in 8 lanes; then hsum8(acc)), so
// results are bit-identical to it for any batch.

#ifndef TERN_TILE_R
#define TERN_TILE_R 4  // rows per full tile (2...4)
#endif
#ifndef TERN_TILE_V
#define TERN_TILE_V 3  // vectors per full tile (1...4)
#endif
#define TERN_TILE_MAX_R 4
#ifndef TERN_Q8X_VARIANT
#define TERN_Q8X_VARIANT 0
#endif
#define TERN_TILE_MAX_V 4

// Prepared activations per pass over a row range: the vectors of one pass stay
// in L2 while the row tiles go by.
#define TERN_TILE_ACT_BYTES (128 * 1024)

// Scales of one block of R q8 rows: lane r is d_r (lanes >= R are 0).
static inline __attribute__((always_inline)) __m128 tile_q8_scales(const uint8_t *block, size_t row_bytes,
                                                                   const int R) {
    int32_t words[4] = {0, 0, 0, 0};
    for (int r = 0; r < R; r++) words[r] = (int32_t)tern_load_u16(block + (size_t)r * row_bytes);
    const __m128i halves = _mm_setr_epi32(words[0], words[1], words[2], words[3]);
    return _mm_cvtph_ps(_mm_packus_epi32(halves, halves));
}

// Blocks per pass of a tile: first the scale products of up to TERN_TILE_SPAN
// blocks go to a buffer on the stack, then
// the integer dot products read them back with broadcast loads. Splitting the
// two keeps the main loop's registers for accumulators and costs no shuffles.
#define TERN_TILE_SPAN 32

static inline __attribute__((always_inline)) void q8_tile(const uint8_t *row, size_t row_bytes, const size_t stride,
                                                          const size_t offset, const int R, const int V,
                                                          const tern_act_block *y, size_t y_stride, int64_t blocks,
                                                          float *out, int64_t out_stride) {
    __m256 acc[TERN_TILE_MAX_R][TERN_TILE_MAX_V];
    // products[i][v][r] = dx_r * dy_v of block i of the span.
    float products[TERN_TILE_SPAN][TERN_TILE_MAX_V][4] __attribute__((aligned(16)));
    for (int v = 0; v < V; v++)
        for (int r = 0; r < R; r++) acc[r][v] = _mm256_setzero_ps();
    for (int64_t i0 = 0; i0 < blocks; i0 += TERN_TILE_SPAN) {
        const int64_t span = blocks - i0 < TERN_TILE_SPAN ? blocks - i0 : TERN_TILE_SPAN;
        const uint8_t *block = row + (size_t)i0 * stride;
        for (int64_t i = 0; i < span; i++, block += stride) {
            for (int r = 0; r < R; r++) prefetch_ahead(block + (size_t)r * row_bytes);  // as in q8_expand
            const __m128 scales = tile_q8_scales(block, row_bytes, R);
            for (int v = 0; v < V; v++)
                _mm_store_ps(products[i][v], _mm_mul_ps(scales, _mm_broadcast_ss(&y[(size_t)v * y_stride + i0 + i].d)));
        }
        block = row + (size_t)i0 * stride;
        for (int64_t i = 0; i < span; i++, block += stride) {
            for (int r = 0; r < R; r++) {
                const __m256i qx = _mm256_loadu_si256((const __m256i *)(block + (size_t)r * row_bytes + offset));
                const __m256i ux = _mm256_sign_epi8(qx, qx);
                for (int v = 0; v < V; v++) {
                    const __m256i qy = _mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i0 + i].qs);
                    const __m256 sumi = _mm256_cvtepi32_ps(TERN_DOT_U8S8(ux, _mm256_sign_epi8(qy, qx)));
                    acc[r][v] = _mm256_fmadd_ps(_mm256_broadcast_ss(&products[i][v][r]), sumi, acc[r][v]);
                }
            }
        }
    }
    for (int v = 0; v < V; v++)
        for (int r = 0; r < R; r++) out[v * out_stride + r] = hsum8(acc[r][v]);
}

typedef void (*tern_xtile_fn)(const uint8_t *qx, const float *scales, const tern_act_block *y, size_t y_stride,
                              int64_t blocks, float *out, int64_t out_stride);

// MARK: - Expanded q8 rows
// q8 blocks are 34 (or 36) bytes, so most 32-byte loads of their values straddle
// cache lines, and each group of V vectors would redo the scale conversions.
// Expanded once per tile instead: (blocks, R, 32) bytes and (blocks, 4) float
// scales. The products take y's absolute values as the unsigned operand (one
// per vector and block, shared by the R rows) and x with y's signs.

#define TERN_TILE_Q8_EXPAND_BLOCKS 192  // up to 6144 columns: 24 KB of stack for 4 rows

static inline __attribute__((always_inline)) void q8_expand(const uint8_t *row, size_t row_bytes, const size_t stride,
                                                            const size_t offset, const int R, int64_t blocks,
                                                            uint8_t *qx, float *scales) {
    for (int64_t i = 0; i < blocks; i++, row += stride) {
        for (int r = 0; r < R; r++) prefetch_ahead(row + (size_t)r * row_bytes);
        _mm_store_ps(scales + i * 4, tile_q8_scales(row, row_bytes, R));
        for (int r = 0; r < R; r++)
            _mm256_store_si256((__m256i *)(qx + ((size_t)i * R + r) * 32),
                               _mm256_loadu_si256((const __m256i *)(row + (size_t)r * row_bytes + offset)));
    }
}

// q8_tile on an expanded tile: the same float operations in the same order, and
// the same exact integer sums (|y| * (x with y's sign) = x * y).
static inline __attribute__((always_inline)) void q8x_tile(const uint8_t *qx, const float *scales, const int R,
                                                           const int V, const tern_act_block *y, size_t y_stride,
                                                           int64_t blocks, float *out, int64_t out_stride) {
    __m256 acc[TERN_TILE_MAX_R][TERN_TILE_MAX_V];
    float products[TERN_TILE_SPAN][TERN_TILE_MAX_V][4] __attribute__((aligned(16)));
    for (int v = 0; v < V; v++)
        for (int r = 0; r < R; r++) acc[r][v] = _mm256_setzero_ps();
    for (int64_t i0 = 0; i0 < blocks; i0 += TERN_TILE_SPAN) {
        const int64_t span = blocks - i0 < TERN_TILE_SPAN ? blocks - i0 : TERN_TILE_SPAN;
        for (int64_t i = 0; i < span; i++) {
            const __m128 w = _mm_load_ps(scales + (i0 + i) * 4);
            for (int v = 0; v < V; v++)
                _mm_store_ps(products[i][v], _mm_mul_ps(w, _mm_broadcast_ss(&y[(size_t)v * y_stride + i0 + i].d)));
        }
#if TERN_Q8X_VARIANT == 1
        __m256i uys[TERN_TILE_SPAN][TERN_TILE_MAX_V];
        for (int64_t i = 0; i < span; i++)
            for (int v = 0; v < V; v++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i0 + i].qs);
                _mm256_store_si256(&uys[i][v], _mm256_sign_epi8(qy, qy));
            }
        for (int64_t i = 0; i < span; i++) {
            const uint8_t *x = qx + (size_t)(i0 + i) * R * 32;
            for (int r = 0; r < R; r++) {
                const __m256i xr = _mm256_load_si256((const __m256i *)(x + r * 32));
                for (int v = 0; v < V; v++) {
                    const __m256i qy = _mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i0 + i].qs);
                    const __m256 sumi = _mm256_cvtepi32_ps(TERN_DOT_U8S8(_mm256_load_si256(&uys[i][v]), _mm256_sign_epi8(xr, qy)));
                    acc[r][v] = _mm256_fmadd_ps(_mm256_broadcast_ss(&products[i][v][r]), sumi, acc[r][v]);
                }
            }
        }
#elif TERN_Q8X_VARIANT == 2
        for (int64_t i = 0; i < span; i++) {
            const uint8_t *x = qx + (size_t)(i0 + i) * R * 32;
            _Pragma("unroll") for (int v = 0; v < V; v++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i0 + i].qs);
                const __m256i uy = _mm256_sign_epi8(qy, qy);
                _Pragma("unroll") for (int r = 0; r < R; r++) {
                    __m256i sx;
                    // The load inside the asm: x is read per (row, vector) instead of
                    // being kept in R registers the accumulators need.
                    __asm__("vmovdqa %1, %0\n\tvpsignb %2, %0, %0" : "=&x"(sx) : "m"(*(const __m256i *)(x + r * 32)), "x"(qy));
                    const __m256 sumi = _mm256_cvtepi32_ps(TERN_DOT_U8S8(uy, sx));
                    acc[r][v] = _mm256_fmadd_ps(_mm256_broadcast_ss(&products[i][v][r]), sumi, acc[r][v]);
                }
            }
        }
#else
        for (int64_t i = 0; i < span; i++) {
            const uint8_t *x = qx + (size_t)(i0 + i) * R * 32;
            for (int v = 0; v < V; v++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *)y[(size_t)v * y_stride + i0 + i].qs);
                const __m256i uy = _mm256_sign_epi8(qy, qy);
                for (int r = 0; r < R; r++) {
                    const __m256i sx = _mm256_sign_epi8(_mm256_load_si256((const __m256i *)(x + r * 32)), qy);
                    const __m256 sumi = _mm256_cvtepi32_ps(TERN_DOT_U8S8(uy, sx));
                    acc[r][v] = _mm256_fmadd_ps(_mm256_broadcast_ss(&products[i][v][r]), sumi, acc[r][v]);
                }
            }
        }
#endif
    }
    for (int v = 0; v < V; v++)
        for (int r = 0; r < R; r++) out[v * out_stride + r] = hsum8(acc[r][v]);
}

// One function per (kind, V) over expanded tiles of TERN_TILE_R rows, and a table per kind.
#define TERN_XTILE_FN(K, R, V)                                                                                   \
    static void xtile_##K##_##R##x##V(const uint8_t *qx, const float *scales, const tern_act_block *y, size_t ys, \
                                      int64_t blocks, float *out, int64_t os) {                                  \
        K##x_tile(qx, scales, R, V, y, ys, blocks, out, os);                                                    \
    }
#define TERN_XTILE_FNS(K, R) TERN_XTILE_FN(K, R, 1) TERN_XTILE_FN(K, R, 2) TERN_XTILE_FN(K, R, 3) TERN_XTILE_FN(K, R, 4) \
    static const tern_xtile_fn xtiles_##K[4] = {xtile_##K##_##R##x1, xtile_##K##_##R##x2, xtile_##K##_##R##x3,   \
                                                xtile_##K##_##R##x4};
#define TERN_XTILE_FNS_(K, R) TERN_XTILE_FNS(K, R)
TERN_XTILE_FNS_(q8, TERN_TILE_R)
#undef TERN_XTILE_FN
#undef TERN_XTILE_FNS
#undef TERN_XTILE_FNS_

static void q8_expand_tile(const uint8_t *row, size_t row_bytes, int format, int64_t blocks, uint8_t *qx,
                           float *scales) {
    if (format == TERN_Q8_0) q8_expand(row, row_bytes, sizeof(tern_block_q8_0), 2, TERN_TILE_R, blocks, qx, scales);
    else q8_expand(row, row_bytes, sizeof(tern_block_q8_1), 4, TERN_TILE_R, blocks, qx, scales);
}

// One function per (format, R, V) the driver uses: full tiles of TERN_TILE_R
// rows and single rows (the row remainder), each for 1...TERN_TILE_V vectors.
typedef void (*tern_tile_fn)(const uint8_t *row, size_t row_bytes, const tern_act_block *y, size_t y_stride,
                             int64_t blocks, float *out, int64_t out_stride);

#define TERN_TILE_FNS(R, V)                                                                                       \
    static void tile_q8_0_##R##x##V(const uint8_t *row, size_t row_bytes, const tern_act_block *y, size_t ys,   \
                                    int64_t blocks, float *out, int64_t os) {                                   \
        q8_tile(row, row_bytes, sizeof(tern_block_q8_0), 2, R, V, y, ys, blocks, out, os);                       \
    }                                                                                                             \
    static void tile_q8_1_##R##x##V(const uint8_t *row, size_t row_bytes, const tern_act_block *y, size_t ys,   \
                                    int64_t blocks, float *out, int64_t os) {                                   \
        q8_tile(row, row_bytes, sizeof(tern_block_q8_1), 4, R, V, y, ys, blocks, out, os);                       \
    }
#define TERN_TILE_FNS_R(R) TERN_TILE_FNS(R, 1) TERN_TILE_FNS(R, 2) TERN_TILE_FNS(R, 3) TERN_TILE_FNS(R, 4)
#define TERN_TILE_ROW(F, R) {tile_##F##_##R##x1, tile_##F##_##R##x2, tile_##F##_##R##x3, tile_##F##_##R##x4}
#define TERN_TILE_TABLE(F, R) static const tern_tile_fn tiles_##F[2][4] = {TERN_TILE_ROW(F, 1), TERN_TILE_ROW(F, R)};
#define TERN_TILE_TABLES(R)                                                                                       \
    TERN_TILE_FNS_R(1) TERN_TILE_FNS_R(R)                                                                         \
    TERN_TILE_TABLE(q8_0, R) TERN_TILE_TABLE(q8_1, R)
#define TERN_TILE_TABLES_(R) TERN_TILE_TABLES(R)
TERN_TILE_TABLES_(TERN_TILE_R)
#undef TERN_TILE_FNS
#undef TERN_TILE_FNS_R
#undef TERN_TILE_ROW
#undef TERN_TILE_TABLE
#undef TERN_TILE_TABLES
#undef TERN_TILE_TABLES_

#include "x86_tiles_q4i.h"

// output[b * rows + r] for rows [r0, r1) and every vector, in register tiles.
// Returns 0 (and does nothing) for formats without tiles.
static int tiles_multiply(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                          int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t batch,
                          float *output) {
    if (format == TERN_Q4_0 || format == TERN_Q4_1) {
        q4i_multiply(format == TERN_Q4_1, weights, row_bytes, rows, columns / 32, r0, r1, activations,
                     act_bytes / sizeof(tern_act_block), batch, output);
        return 1;
    }
    const tern_tile_fn(*table)[4];
    switch (format) {
    case TERN_Q8_0: table = tiles_q8_0; break;
    case TERN_Q8_1: table = tiles_q8_1; break;
    default: return 0;
    }
    const int64_t blocks = columns / 32;
    const size_t y_stride = act_bytes / sizeof(tern_act_block);
    int64_t pass = (int64_t)(TERN_TILE_ACT_BYTES / act_bytes) / TERN_TILE_V * TERN_TILE_V;
    if (pass < TERN_TILE_V) pass = TERN_TILE_V;
    // Expanding pays once a tile meets a few groups of vectors.
    const int expand = batch >= 2 * TERN_TILE_V && blocks <= TERN_TILE_Q8_EXPAND_BLOCKS;
    // (blocks, R, 32) bytes and (blocks, 4) scales.
    uint8_t expanded[TERN_TILE_Q8_EXPAND_BLOCKS * TERN_TILE_R * 32] __attribute__((aligned(32)));
    float expanded_scales[TERN_TILE_Q8_EXPAND_BLOCKS * 4] __attribute__((aligned(32)));
    for (int64_t b0 = 0; b0 < batch; b0 += pass) {
        const int64_t b1 = b0 + pass < batch ? b0 + pass : batch;
        for (int64_t r = r0; r < r1;) {
            const int full = r + TERN_TILE_R <= r1;
            const uint8_t *row = weights + (size_t)r * row_bytes;
            if (full && expand) {
                q8_expand_tile(row, row_bytes, format, blocks, expanded, expanded_scales);
                for (int64_t b = b0; b < b1; b += TERN_TILE_V) {
                    const int64_t v = b1 - b < TERN_TILE_V ? b1 - b : TERN_TILE_V;
                    const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
                    xtiles_q8[v - 1](expanded, expanded_scales, y, y_stride, blocks, output + b * rows + r, rows);
                }
                r += TERN_TILE_R;
                continue;
            }
            for (int64_t b = b0; b < b1; b += TERN_TILE_V) {
                const int64_t v = b1 - b < TERN_TILE_V ? b1 - b : TERN_TILE_V;
                const tern_act_block *y = (const tern_act_block *)((const uint8_t *)activations + (size_t)b * act_bytes);
                table[full][v - 1](row, row_bytes, y, y_stride, blocks, output + b * rows + r, rows);
            }
            r += full ? TERN_TILE_R : 1;
        }
    }
    return 1;
}
