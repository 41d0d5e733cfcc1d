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
