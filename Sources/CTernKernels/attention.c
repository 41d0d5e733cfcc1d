// Attention of one query head over an f16 key/value cache, computed the way
// llama.cpp's CPU flash attention computes it: the cache is f16 (half the memory
// of f32), the query is rounded to f16 before the dot products, one pass keeps a
// running maximum and sum, and the weighted sum of values is kept in f16. A
// 30-layer model amplifies rounding differences to tenths of a logit, so doing
// what llama.cpp does keeps Tern's greedy output on llama.cpp's side of near ties.
#include "internal.h"

#include <math.h>

#define TERN_MAX_HEAD_DIM 1024

static inline float round_to_half(float x) { return tern_half_to_float(tern_float_to_half(x)); }

void tern_portable_convert_f16(const float *source, uint16_t *destination, int64_t count) {
    for (int64_t i = 0; i < count; i++) destination[i] = tern_float_to_half(source[i]);
}

// llama.cpp's CPU flash attention, scalar: one pass with a running maximum M and
// sum S; the weighted sum of values is kept in f16 precision, as llama.cpp keeps it.
void tern_portable_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values, int64_t length,
                              int64_t stride, const int32_t *pages, int64_t page_size, int64_t page_stride,
                              int64_t head_dim, float scale, float *output) {
    float q[TERN_MAX_HEAD_DIM];
    for (int64_t i = 0; i < head_dim; i++) q[i] = tern_half_to_float(tern_float_to_half(query[i]));
    for (int64_t i = 0; i < head_dim; i++) output[i] = 0.0f;
    float M = -INFINITY, S = 0.0f;
    for (int64_t t = 0; t < length; t++) {
        const int64_t row = pages[t / page_size] * page_stride + (t % page_size) * stride;
        const uint16_t *k = keys + row;
        float dot = 0.0f;
        for (int64_t i = 0; i < head_dim; i++) dot += q[i] * tern_half_to_float(k[i]);
        const float s = dot * scale;
        float ms = 1.0f, vs = 1.0f;
        if (s > M) {
            const float old = M;
            M = s;
            ms = expf(old - M);
            for (int64_t i = 0; i < head_dim; i++) output[i] = round_to_half(output[i] * ms);
        } else {
            vs = expf(s - M);
        }
        const uint16_t *v = values + row;
        for (int64_t i = 0; i < head_dim; i++) output[i] = round_to_half(output[i] + tern_half_to_float(v[i]) * vs);
        S = S * ms + vs;
    }
    const float inverse = 1.0f / S;
    for (int64_t i = 0; i < head_dim; i++) output[i] *= inverse;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TERN_X86 __attribute__((target("avx2,fma,f16c")))

TERN_X86 static inline float hsum8_attention(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TERN_X86 void tern_avx2_convert_f16(const float *source, uint16_t *destination, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm_storeu_si128((__m128i *)(destination + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < count; i++) destination[i] = tern_float_to_half(source[i]);
}

// Positions whose scores are computed before the running softmax consumes them.
#define TERN_SCORE_BLOCK 64

// The cache of a long context lives in L3 or memory (every layer's keys and
// values are read once per token), and a head's rows are `stride` apart: ask for
// them a phase ahead rather than wait for each one.
TERN_X86 static inline __attribute__((always_inline)) void prefetch_head(const uint16_t *row, const int64_t head_dim) {
    for (int64_t i = 0; i < head_dim; i += 32) _mm_prefetch((const char *)(row + i), _MM_HINT_T0);
}

// The generic kernel below for a head size known at compile time (64, 128), in
// two phases per block of positions: first every score (independent dot
// products the core overlaps freely), then the running maximum and the f16
// value sum, with the sum held in registers instead of reloaded from memory at
// every position. Every float operation, and its order, is the generic one's.
TERN_X86 static inline __attribute__((always_inline)) void attend_fixed(
    const float *query, const uint16_t *keys_base, const uint16_t *values_base, int64_t length, int64_t stride,
    const int32_t *pages, int64_t page_size, int64_t page_stride, const int64_t head_dim, float scale, float *output) {
    float q[128];
    for (int64_t i = 0; i < head_dim; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(query + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(q + i, _mm256_cvtph_ps(h));
    }
    __m256 o[128 / 8];
    for (int64_t j = 0; j < head_dim / 8; j++) o[j] = _mm256_setzero_ps();
    float scores[TERN_SCORE_BLOCK];
    float M = -INFINITY, S = 0.0f;
    // Page by page (a page's positions are contiguous); where score blocks are cut
    // changes no result, only which scores are computed together.
    for (int64_t first = 0, page = 0; first < length; first += page_size, page++) {
    const uint16_t *keys = keys_base + pages[page] * page_stride;
    const uint16_t *values = values_base + pages[page] * page_stride;
    const int64_t run = length - first < page_size ? length - first : page_size;
    for (int64_t t0 = 0; t0 < run; t0 += TERN_SCORE_BLOCK) {
        const int64_t n = run - t0 < TERN_SCORE_BLOCK ? run - t0 : TERN_SCORE_BLOCK;
        for (int64_t t = 0; t < n; t++) {
            const uint16_t *k = keys + (t0 + t) * stride;
            prefetch_head(values + (t0 + t) * stride, head_dim);  // for the second phase
            __m256 acc = _mm256_setzero_ps();
            for (int64_t i = 0; i < head_dim; i += 8) {
                const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), kv, acc);
            }
            scores[t] = hsum8_attention(acc) * scale;
        }
        for (int64_t t = 0; t < n; t++) {
            if (t0 + TERN_SCORE_BLOCK + t < run) prefetch_head(keys + (t0 + TERN_SCORE_BLOCK + t) * stride, head_dim);
            const float s = scores[t];
            float ms = 1.0f, vs = 1.0f;
            if (s > M) {
                const float old = M;
                M = s;
                ms = expf(old - M);
                const __m256 m = _mm256_set1_ps(ms);
                for (int64_t j = 0; j < head_dim / 8; j++)
                    o[j] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(o[j], m), _MM_FROUND_TO_NEAREST_INT));
            } else {
                vs = expf(s - M);
            }
            const uint16_t *v = values + (t0 + t) * stride;
            const __m256 w = _mm256_set1_ps(vs);
            for (int64_t j = 0; j < head_dim / 8; j++) {
                const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + 8 * j)));
                o[j] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_fmadd_ps(vv, w, o[j]), _MM_FROUND_TO_NEAREST_INT));
            }
            S = S * ms + vs;
        }
    }
    }
    const __m256 inv = _mm256_set1_ps(1.0f / S);
    for (int64_t j = 0; j < head_dim / 8; j++) _mm256_storeu_ps(output + 8 * j, _mm256_mul_ps(o[j], inv));
}

TERN_X86 void tern_avx2_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values,
                                   int64_t length, int64_t stride, const int32_t *pages, int64_t page_size,
                                   int64_t page_stride, int64_t head_dim, float scale, float *output) {
    if (head_dim == 64) {
        attend_fixed(query, keys, values, length, stride, pages, page_size, page_stride, 64, scale, output);
        return;
    }
    if (head_dim == 128) {
        attend_fixed(query, keys, values, length, stride, pages, page_size, page_stride, 128, scale, output);
        return;
    }
    if (head_dim % 8 != 0) {
        tern_portable_attend_f16(query, keys, values, length, stride, pages, page_size, page_stride, head_dim, scale,
                                 output);
        return;
    }
    float q[TERN_MAX_HEAD_DIM];
    for (int64_t i = 0; i < head_dim; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(query + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(q + i, _mm256_cvtph_ps(h));
    }
    float M = -INFINITY, S = 0.0f;
    for (int64_t i = 0; i < head_dim; i += 8) _mm256_storeu_ps(output + i, _mm256_setzero_ps());
    for (int64_t t = 0; t < length; t++) {
        const int64_t row = pages[t / page_size] * page_stride + (t % page_size) * stride;
        const uint16_t *k = keys + row;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < head_dim; i += 8) {
            const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), kv, acc);
        }
        const float s = hsum8_attention(acc) * scale;
        float ms = 1.0f, vs = 1.0f;
        if (s > M) {
            const float old = M;
            M = s;
            ms = expf(old - M);
            const __m256 m = _mm256_set1_ps(ms);
            for (int64_t i = 0; i < head_dim; i += 8) {
                const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(output + i), m);
                _mm256_storeu_ps(output + i, _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)));
            }
        } else {
            vs = expf(s - M);
        }
        const uint16_t *v = values + row;
        const __m256 w = _mm256_set1_ps(vs);
        for (int64_t i = 0; i < head_dim; i += 8) {
            const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
            const __m256 x = _mm256_fmadd_ps(vv, w, _mm256_loadu_ps(output + i));
            _mm256_storeu_ps(output + i, _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)));
        }
        S = S * ms + vs;
    }
    const __m256 inv = _mm256_set1_ps(1.0f / S);
    for (int64_t i = 0; i < head_dim; i += 8) _mm256_storeu_ps(output + i, _mm256_mul_ps(_mm256_loadu_ps(output + i), inv));
}
#endif

// MARK: - Several queries at once (prefill)

#if defined(__x86_64__) || defined(__i386__)
// Positions per phase of the many-query kernel: a block's keys, values and
// per-query scores stay in L1 while every query goes over them.
#define TERN_MANY_BLOCK 32
// Queries per pass over a block. The f16 value sums are chains of fma, round to
// f16 and back (~15 cycles each): six queries x 16 dimensions keep twelve chains
// in flight, and still fit the sixteen registers with the value rows.
#define TERN_MANY_GROUP 6

// The running softmax of one query: its f16-rounded query, its f16 sum of
// values (always f16-representable), the running maximum and sum.
typedef struct {
    const float *q;
    float *o;
    float M, S;
} tern_many_state;

// hsum8_attention of eight vectors v[0..<8] at once, lane p of the result for
// v[p]: the same additions of the same pairs (lanes i and i + 4, then 0 and 2 and
// 1 and 3 of those, then 0 and 1), shuffled so each step serves every vector.
TERN_X86 static inline __m256 hsum8x8_attention(const float v[8][8]) {
    __m256 s[4];
    for (int p = 0; p < 4; p++) {
        const __m256 a = _mm256_load_ps(v[2 * p]), b = _mm256_load_ps(v[2 * p + 1]);
        s[p] = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
    }
    // s[p]: lanes 0-3 the four pair sums of v[2p], lanes 4-7 those of v[2p + 1].
    const __m256 u0 = _mm256_add_ps(_mm256_shuffle_ps(s[0], s[1], 0x44), _mm256_shuffle_ps(s[0], s[1], 0xee));
    const __m256 u1 = _mm256_add_ps(_mm256_shuffle_ps(s[2], s[3], 0x44), _mm256_shuffle_ps(s[2], s[3], 0xee));
    // Per 128-bit half, hadd gives (v0, v2, v4, v6) and (v1, v3, v5, v7).
    const __m256 r = _mm256_hadd_ps(u0, u1);
    return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Queries `first...first+count-1` of `states` (count <= TERN_MANY_GROUP) take positions
// [0, n) of a run whose rows are `stride` apart: the same float operations, in
// the same order per query, as attend_fixed. head_dim is a multiple of 16.
TERN_X86 static inline __attribute__((always_inline)) void many_block(
    tern_many_state *states, const int count, const uint16_t *keys, const uint16_t *values, int64_t n, int64_t stride,
    int64_t head_dim, float scale) {
    float scores[TERN_MANY_GROUP][TERN_MANY_BLOCK], weights[TERN_MANY_GROUP][TERN_MANY_BLOCK];
    float rescales[TERN_MANY_GROUP][TERN_MANY_BLOCK];
    // Scores: each key row is converted once for all queries; each query's dot
    // product is the one fused chain over i of attend_fixed. The eight-lane sums of
    // eight positions are then reduced together (hsum8x8_attention).
    float sums[TERN_MANY_GROUP][8][8] __attribute__((aligned(32)));
    for (int64_t t0 = 0; t0 < n; t0 += 8) {
        const int64_t m = n - t0 < 8 ? n - t0 : 8;
        for (int64_t u = 0; u < m; u++) {
            const uint16_t *k = keys + (t0 + u) * stride;
            __m256 acc[TERN_MANY_GROUP];
            for (int j = 0; j < count; j++) acc[j] = _mm256_setzero_ps();
            for (int64_t i = 0; i < head_dim; i += 8) {
                const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
                for (int j = 0; j < count; j++) acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(states[j].q + i), kv, acc[j]);
            }
            for (int j = 0; j < count; j++) _mm256_store_ps(sums[j][u], acc[j]);
        }
        if (m == 8) {
            const __m256 s = _mm256_set1_ps(scale);
            for (int j = 0; j < count; j++) _mm256_storeu_ps(scores[j] + t0, _mm256_mul_ps(hsum8x8_attention(sums[j]), s));
        } else {
            for (int j = 0; j < count; j++)
                for (int64_t u = 0; u < m; u++) scores[j][t0 + u] = hsum8_attention(_mm256_load_ps(sums[j][u])) * scale;
        }
    }
    // The running maximum and sum, as attend_fixed steps them; a rescale factor
    // of exactly 1 would leave the (f16-exact) sum unchanged, so 1 marks "none".
    for (int j = 0; j < count; j++) {
        float M = states[j].M, S = states[j].S;
        for (int64_t t = 0; t < n; t++) {
            const float s = scores[j][t];
            float ms = 1.0f, vs = 1.0f;
            if (s > M) {
                const float old = M;
                M = s;
                ms = expf(old - M);
            } else {
                vs = expf(s - M);
            }
            rescales[j][t] = ms;
            weights[j][t] = vs;
            S = S * ms + vs;
        }
        states[j].M = M;
        states[j].S = S;
    }
    // Values, 16 dimensions at a time: each value row is converted once for all
    // queries, and the queries' chains interleave.
    for (int64_t d = 0; d < head_dim; d += 16) {
        __m256 o[TERN_MANY_GROUP][2];
        for (int j = 0; j < count; j++) {
            o[j][0] = _mm256_loadu_ps(states[j].o + d);
            o[j][1] = _mm256_loadu_ps(states[j].o + d + 8);
        }
        for (int64_t t = 0; t < n; t++) {
            const uint16_t *v = values + t * stride + d;
            const __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)v));
            const __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + 8)));
            for (int j = 0; j < count; j++) {
                if (rescales[j][t] != 1.0f) {
                    const __m256 m = _mm256_set1_ps(rescales[j][t]);
                    o[j][0] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(o[j][0], m), _MM_FROUND_TO_NEAREST_INT));
                    o[j][1] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(o[j][1], m), _MM_FROUND_TO_NEAREST_INT));
                }
                const __m256 w = _mm256_set1_ps(weights[j][t]);
                o[j][0] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_fmadd_ps(v0, w, o[j][0]), _MM_FROUND_TO_NEAREST_INT));
                o[j][1] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_fmadd_ps(v1, w, o[j][1]), _MM_FROUND_TO_NEAREST_INT));
            }
        }
        for (int j = 0; j < count; j++) {
            _mm256_storeu_ps(states[j].o + d, o[j][0]);
            _mm256_storeu_ps(states[j].o + d + 8, o[j][1]);
        }
    }
}

// Positions [begin, end) of a paged cache for queries `states[0..<count]`
// (any count), cut into page runs and blocks; each group of TERN_MANY_GROUP
// queries takes a block while it is in L1.
TERN_X86 static void many_range(tern_many_state *states, int64_t count, int64_t begin, int64_t end,
                                const uint16_t *keys, const uint16_t *values, int64_t stride, const int32_t *pages,
                                int64_t page_size, int64_t page_stride, int64_t head_dim, float scale) {
    for (int64_t t = begin; t < end;) {
        const int64_t slot = t % page_size;
        int64_t n = page_size - slot;
        if (n > end - t) n = end - t;
        if (n > TERN_MANY_BLOCK) n = TERN_MANY_BLOCK;
        const int64_t row = pages[t / page_size] * page_stride + slot * stride;
        // A count known at compile time keeps the group's sums in registers.
        for (int64_t j = 0; j < count; j += TERN_MANY_GROUP) {
            tern_many_state *group = states + j;
            switch (count - j < TERN_MANY_GROUP ? count - j : TERN_MANY_GROUP) {
            case 1: many_block(group, 1, keys + row, values + row, n, stride, head_dim, scale); break;
            case 2: many_block(group, 2, keys + row, values + row, n, stride, head_dim, scale); break;
            case 3: many_block(group, 3, keys + row, values + row, n, stride, head_dim, scale); break;
            case 4: many_block(group, 4, keys + row, values + row, n, stride, head_dim, scale); break;
            case 5: many_block(group, 5, keys + row, values + row, n, stride, head_dim, scale); break;
            default: many_block(group, 6, keys + row, values + row, n, stride, head_dim, scale); break;
            }
        }
        t += n;
    }
}

// tern_attend_f16_tokens on AVX2 (head_dim a multiple of 16, at most 128).
TERN_X86 static void many_attend(const float *query, int64_t query_stride, float *output, int64_t output_stride,
                                 int64_t tokens, int64_t heads, int64_t first_length, const uint16_t *keys,
                                 const uint16_t *values, int64_t stride, const int32_t *pages, int64_t page_size,
                                 int64_t page_stride, int64_t head_dim, float scale) {
    const int64_t count = tokens * heads;
    float q[TERN_ATTEND_MAX_QUERIES][128] __attribute__((aligned(32)));
    float o[TERN_ATTEND_MAX_QUERIES][128] __attribute__((aligned(32)));
    tern_many_state states[TERN_ATTEND_MAX_QUERIES];
    for (int64_t j = 0; j < count; j++) {
        const float *source = query + (j / heads) * query_stride + (j % heads) * head_dim;
        for (int64_t i = 0; i < head_dim; i += 8) {
            const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT);
            _mm256_store_ps(q[j] + i, _mm256_cvtph_ps(h));
            _mm256_store_ps(o[j] + i, _mm256_setzero_ps());
        }
        states[j] = (tern_many_state){q[j], o[j], -INFINITY, 0.0f};
    }
    // Every query takes the positions the first token sees, together; then each
    // later position goes to the tokens after it (a suffix of `states`), in order.
    many_range(states, count, 0, first_length, keys, values, stride, pages, page_size, page_stride, head_dim, scale);
    for (int64_t k = 0; k + 1 < tokens; k++)
        many_range(states + (k + 1) * heads, (tokens - k - 1) * heads, first_length + k, first_length + k + 1, keys,
                   values, stride, pages, page_size, page_stride, head_dim, scale);
    for (int64_t j = 0; j < count; j++) {
        float *destination = output + (j / heads) * output_stride + (j % heads) * head_dim;
        const __m256 inv = _mm256_set1_ps(1.0f / states[j].S);
        for (int64_t i = 0; i < head_dim; i += 8)
            _mm256_storeu_ps(destination + i, _mm256_mul_ps(_mm256_load_ps(o[j] + i), inv));
    }
}
#endif

void tern_attend_f16_tokens(const tern_kernels *kernels, const float *query, int64_t query_stride, float *output,
                            int64_t output_stride, int64_t tokens, int64_t heads, int64_t first_length,
                            const uint16_t *keys, const uint16_t *values, int64_t stride, const int32_t *pages,
                            int64_t page_size, int64_t page_stride, int64_t head_dim, float scale) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernels->attend_f16 == tern_avx2_attend_f16 && head_dim % 16 == 0 && head_dim <= 128 &&
        tokens * heads <= TERN_ATTEND_MAX_QUERIES && first_length >= 1) {
        many_attend(query, query_stride, output, output_stride, tokens, heads, first_length, keys, values, stride,
                    pages, page_size, page_stride, head_dim, scale);
        return;
    }
#endif
    for (int64_t j = 0; j < tokens * heads; j++) {
        const int64_t token = j / heads, head = j % heads;
        kernels->attend_f16(query + token * query_stride + head * head_dim, keys, values, first_length + token,
                            stride, pages, page_size, page_stride, head_dim, scale,
                            output + token * output_stride + head * head_dim);
    }
}
