// Shared by the tiled prefill attention's driver (attention_tiled.c) and its
// AVX2 tile (attention_tiled_avx2.c): the problem one call describes and the
// tile shape. Only these two files include it.
#ifndef TERN_ATTENTION_TILED_H
#define TERN_ATTENTION_TILED_H

#include "internal.h"

// Keys per tile: ggml's GGML_FA_TILE_KV. Key tiles start at multiples of 64
// positions, as llama.cpp's do for a sequence at the start of its cache, so the
// running maximum steps (and rescales the sums) at the same positions.
#define TERN_TILE_KEYS 64
// Query rows (one token's one head) per tile: three 16-row score blocks, eight
// 6-row value blocks (the AVX2 micro-kernels' shapes). Every key and value row
// converted to f32 serves all of them.
#define TERN_TILE_ROWS 48
// Largest head the tiles hold: the tile buffers live on the stack (at most
// 2 x 66 x 128 + 2 x 48 x 128 + 66 x 48 floats, 130 KB). Larger heads take the
// one-query kernel per row.
#define TERN_TILE_MAX_HEAD_DIM 128

// One call's causal attention, seen from one kv head: its `group` query heads
// of every token are the rows, row r = token * group + head within the group.
// Row r is at `query + token * query_stride + (kv_head * group + head) * head_dim`
// (output likewise) and attends to positions 0...first_length - 1 + token.
typedef struct {
    const float *query;
    float *output;
    int64_t query_stride, output_stride;
    int64_t group, first_length;
    const uint16_t *keys, *values;  // the cache's bases plus kv_head * head_dim
    int64_t stride;                 // values between positions of one page (kv_heads * head_dim)
    const int32_t *pages;
    int64_t page_size, page_stride;
    int64_t head_dim, kv_head;
    float scale;
} tern_tiled_problem;

static inline const float *tern_tiled_query(const tern_tiled_problem *p, int64_t row) {
    return p->query + (row / p->group) * p->query_stride + (p->kv_head * p->group + row % p->group) * p->head_dim;
}

static inline float *tern_tiled_output(const tern_tiled_problem *p, int64_t row) {
    return p->output + (row / p->group) * p->output_stride + (p->kv_head * p->group + row % p->group) * p->head_dim;
}

// The last position row `row` sees (its own).
static inline int64_t tern_tiled_position(const tern_tiled_problem *p, int64_t row) {
    return p->first_length - 1 + row / p->group;
}

// Offset of position t's row from the cache bases.
static inline int64_t tern_tiled_cache_offset(const tern_tiled_problem *p, int64_t t) {
    return p->pages[t / p->page_size] * p->page_stride + (t % p->page_size) * p->stride;
}

#if defined(__x86_64__) || defined(__i386__)
// Rows first_row...first_row + rows - 1 (rows <= TERN_TILE_ROWS); head_dim a
// multiple of 8, at most TERN_TILE_MAX_HEAD_DIM.
void tern_avx2_attend_tile(const tern_tiled_problem *p, int64_t first_row, int64_t rows);
// e^x, eight at a time, as the AVX2 tile computes it (count any).
void tern_avx2_attention_exp(const float *x, float *y, int64_t count);
#endif

#endif
