// Causal attention of a prompt chunk, in tiles, the way llama.cpp's CPU flash
// attention computes a batch of 64 or more queries (ggml-cpu/ops.cpp,
// flash_attn_ext_tiled): f32 query, scores Q.K^T as a small matrix product
// over a tile of queries and a tile of 64 keys (each f16 key and value row
// converted to f32 once per tile), a running maximum per query stepped once
// per key tile, and f32 sums of values. The one-query kernel (attention.c)
// keeps llama.cpp's arithmetic for fewer queries (f16 query and value sums).
//
// Every row's result depends only on its query and the positions it sees,
// never on which other rows share its tile or thread: scores are one fused
// chain over the head's dimensions, value sums one chain over positions in
// order, and key tiles are fixed by position. Splitting a chunk differently
// (or across threads) gives the same bits.
#include "attention_tiled.h"

#include <math.h>

// The scalar tile: the same steps as the AVX2 one, in plain loops, with expf.
static void portable_tile(const tern_tiled_problem *p, int64_t first_row, int64_t rows) {
    const int64_t D = p->head_dim;
    float keys[TERN_TILE_KEYS * TERN_TILE_MAX_HEAD_DIM];     // (key, D)
    float values[TERN_TILE_KEYS * TERN_TILE_MAX_HEAD_DIM];   // (key, D)
    float sums[TERN_TILE_ROWS * TERN_TILE_MAX_HEAD_DIM];     // (row, D) running sums of values
    float weights[TERN_TILE_ROWS * TERN_TILE_KEYS];          // (row, key) scores, then e^(score - M)
    float M[TERN_TILE_ROWS], S[TERN_TILE_ROWS];
    for (int64_t r = 0; r < rows; r++) {
        M[r] = -INFINITY;
        S[r] = 0.0f;
        for (int64_t d = 0; d < D; d++) sums[r * D + d] = 0.0f;
    }
    const int64_t last = tern_tiled_position(p, first_row + rows - 1);
    for (int64_t start = 0; start <= last; start += TERN_TILE_KEYS) {
        const int64_t n = last + 1 - start < TERN_TILE_KEYS ? last + 1 - start : TERN_TILE_KEYS;
        for (int64_t k = 0; k < n; k++) {
            const int64_t offset = tern_tiled_cache_offset(p, start + k);
            for (int64_t d = 0; d < D; d++) {
                keys[k * D + d] = tern_half_to_float(p->keys[offset + d]);
                values[k * D + d] = tern_half_to_float(p->values[offset + d]);
            }
        }
        for (int64_t r = 0; r < rows; r++) {
            const float *q = tern_tiled_query(p, first_row + r);
            const int64_t position = tern_tiled_position(p, first_row + r);
            float *w = weights + r * TERN_TILE_KEYS;
            float tile_max = -INFINITY;
            for (int64_t k = 0; k < n; k++) {
                float dot = 0.0f;
                for (int64_t d = 0; d < D; d++) dot += q[d] * keys[k * D + d];
                w[k] = start + k > position ? -INFINITY : dot * p->scale;  // causal mask
                tile_max = fmaxf(tile_max, w[k]);
            }
            if (tile_max == -INFINITY) {  // the row sees none of these keys
                for (int64_t k = 0; k < n; k++) w[k] = 0.0f;
                continue;
            }
            const float next = fmaxf(M[r], tile_max);
            if (next > M[r]) {
                const float rescale = expf(M[r] - next);
                for (int64_t d = 0; d < D; d++) sums[r * D + d] *= rescale;
                S[r] *= rescale;
            }
            M[r] = next;
            float total = 0.0f;
            for (int64_t k = 0; k < n; k++) {
                w[k] = expf(w[k] - next);
                total += w[k];
            }
            S[r] += total;
        }
        for (int64_t r = 0; r < rows; r++)
            for (int64_t k = 0; k < n; k++) {
                const float w = weights[r * TERN_TILE_KEYS + k];
                for (int64_t d = 0; d < D; d++) sums[r * D + d] += w * values[k * D + d];
            }
    }
    for (int64_t r = 0; r < rows; r++) {
        float *out = tern_tiled_output(p, first_row + r);
        const float inverse = 1.0f / S[r];
        for (int64_t d = 0; d < D; d++) out[d] = sums[r * D + d] * inverse;
    }
}

// Heads too large for the tile buffers: the one-query kernel, row by row.
static void one_query_rows(const tern_kernels *kernels, const tern_tiled_problem *p, int64_t first_row, int64_t rows) {
    for (int64_t row = first_row; row < first_row + rows; row++)
        kernels->attend_f16(tern_tiled_query(p, row), p->keys, p->values, tern_tiled_position(p, row) + 1, p->stride,
                            p->pages, p->page_size, p->page_stride, p->head_dim, p->scale, tern_tiled_output(p, row));
}

void tern_attend_f16_tiled(const tern_kernels *kernels, const float *query, int64_t query_stride, float *output,
                           int64_t output_stride, int64_t tokens, int64_t heads, int64_t kv_heads,
                           int64_t first_length, const uint16_t *keys, const uint16_t *values, const int32_t *pages,
                           int64_t page_size, int64_t page_stride, int64_t head_dim, float scale,
                           int64_t thread_index, int64_t thread_count) {
    const int64_t group = heads / kv_heads, rows_per_head = tokens * group;
    const int64_t tiles = (rows_per_head + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS, items = tiles * kv_heads;
    tern_tiled_problem p = {query, output, query_stride, output_stride, group, first_length, keys, values,
                            kv_heads * head_dim, pages, page_size, page_stride, head_dim, 0, scale};
    void (*tile)(const tern_tiled_problem *, int64_t, int64_t) = portable_tile;
#if defined(__x86_64__) || defined(__i386__)
    // Tables whose one-query kernel is the AVX2 one only run on CPUs with AVX2, FMA and F16C.
    if (kernels->attend_f16 == tern_avx2_attend_f16 && head_dim % 8 == 0) tile = tern_avx2_attend_tile;
#endif
    // Work items (tile of rows, kv head), the costliest first: a tile's cost grows with
    // its last position, so tiles go from the chunk's end to its start, kv heads
    // interleaved. Threads take them in a snake (0, 1, ..., n-1, n-1, ..., 1, 0, 0, ...)
    // so that over the causal ramp every thread gets the same work to within one item.
    for (int64_t i = 0; i < items; i++) {
        const int64_t round = i / thread_count, slot = i % thread_count;
        if ((round % 2 == 0 ? slot : thread_count - 1 - slot) != thread_index) continue;
        const int64_t first_row = (tiles - 1 - i / kv_heads) * TERN_TILE_ROWS;
        const int64_t rows = rows_per_head - first_row < TERN_TILE_ROWS ? rows_per_head - first_row : TERN_TILE_ROWS;
        p.kv_head = i % kv_heads;
        p.keys = keys + p.kv_head * head_dim;
        p.values = values + p.kv_head * head_dim;
        if (head_dim > TERN_TILE_MAX_HEAD_DIM)
            one_query_rows(kernels, &p, first_row, rows);
        else
            tile(&p, first_row, rows);
    }
}

void tern_attention_exp(const tern_kernels *kernels, const float *x, float *y, int64_t count) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernels->attend_f16 == tern_avx2_attend_f16) {
        tern_avx2_attention_exp(x, y, count);
        return;
    }
#endif
    for (int64_t i = 0; i < count; i++) y[i] = expf(x[i]);
}
