// Attention of one query head over an f16 key/value cache. The cache is f16 as in
// llama.cpp (half the memory of f32), and the query is rounded to f16 before the
// dot products, as llama.cpp's CPU attention does, so logits track its results.
#include "internal.h"

#include <math.h>

#define TERN_MAX_HEAD_DIM 1024

// Softmax of scores[0..length) in place; returns nothing.
static void softmax_in_place(float *scores, int64_t length) {
    float maximum = -INFINITY;
    for (int64_t t = 0; t < length; t++) maximum = scores[t] > maximum ? scores[t] : maximum;
    float sum = 0.0f;
    for (int64_t t = 0; t < length; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    const float inverse = 1.0f / sum;
    for (int64_t t = 0; t < length; t++) scores[t] *= inverse;
}

void tern_portable_convert_f16(const float *source, uint16_t *destination, int64_t count) {
    for (int64_t i = 0; i < count; i++) destination[i] = tern_float_to_half(source[i]);
}

void tern_portable_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values, int64_t length,
                              int64_t stride, int64_t head_dim, float scale, float *scores, float *output) {
    float q[TERN_MAX_HEAD_DIM];
    for (int64_t i = 0; i < head_dim; i++) q[i] = tern_half_to_float(tern_float_to_half(query[i]));
    for (int64_t t = 0; t < length; t++) {
        const uint16_t *k = keys + t * stride;
        float dot = 0.0f;
        for (int64_t i = 0; i < head_dim; i++) dot += q[i] * tern_half_to_float(k[i]);
        scores[t] = dot * scale;
    }
    softmax_in_place(scores, length);
    for (int64_t i = 0; i < head_dim; i++) output[i] = 0.0f;
    for (int64_t t = 0; t < length; t++) {
        const uint16_t *v = values + t * stride;
        const float w = scores[t];
        for (int64_t i = 0; i < head_dim; i++) output[i] += w * tern_half_to_float(v[i]);
    }
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

TERN_X86 void tern_avx2_attend_f16(const float *query, const uint16_t *keys, const uint16_t *values,
                                   int64_t length, int64_t stride, int64_t head_dim, float scale, float *scores,
                                   float *output) {
    if (head_dim % 8 != 0) {
        tern_portable_attend_f16(query, keys, values, length, stride, head_dim, scale, scores, output);
        return;
    }
    float q[TERN_MAX_HEAD_DIM];
    for (int64_t i = 0; i < head_dim; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(query + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(q + i, _mm256_cvtph_ps(h));
    }
    for (int64_t t = 0; t < length; t++) {
        const uint16_t *k = keys + t * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < head_dim; i += 8) {
            const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), kv, acc);
        }
        scores[t] = hsum8_attention(acc) * scale;
    }
    softmax_in_place(scores, length);
    for (int64_t i = 0; i < head_dim; i += 8) _mm256_storeu_ps(output + i, _mm256_setzero_ps());
    for (int64_t t = 0; t < length; t++) {
        const uint16_t *v = values + t * stride;
        const __m256 w = _mm256_set1_ps(scores[t]);
        for (int64_t i = 0; i < head_dim; i += 8) {
            const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
            _mm256_storeu_ps(output + i, _mm256_fmadd_ps(w, vv, _mm256_loadu_ps(output + i)));
        }
    }
}
#endif
