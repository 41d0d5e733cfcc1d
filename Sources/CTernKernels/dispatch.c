// Picks the kernel implementation once, from the CPU's features.
#include "internal.h"

#include <stdlib.h>
#include <string.h>

// Repacked q4 (q4r.h) reads q4's prepared activations; with f32 activations its
// rows go back to q4 layout a group at a time. Non-x86 products of repacked
// weights take the portable rows (Swift repacks only for x86).
#define TERN_Q4R_PREPARE(NAME, PREPARE)                                                \
    static void NAME(int format, const float *input, int64_t columns, void *prepared) { \
        PREPARE(tern_q4r_base(format), input, columns, prepared);                       \
    }
#define TERN_Q4R_FLOAT(NAME, FLOAT)                                                                               \
    static void NAME(const tern_kernels *k, int format, const void *weights, int64_t rows, int64_t columns,       \
                     int64_t row_begin, int64_t row_end, const float *input, int64_t batch, float *output) {      \
        if (tern_is_q4r(format))                                                                                  \
            tern_q4r_multiply_rows_float(k, format, weights, rows, columns, row_begin, row_end, input, batch,     \
                                         output);                                                                 \
        else                                                                                                      \
            FLOAT(k, format, weights, rows, columns, row_begin, row_end, input, batch, output);                   \
    }
TERN_Q4R_FLOAT(portable_rows_float, tern_portable_multiply_rows_float)

static const tern_kernels portable_kernels = {
    "portable", tern_portable_quantize_row, tern_portable_dequantize_row, tern_portable_prepared_bytes,
    tern_portable_prepare, tern_portable_multiply_rows, tern_portable_convert_f16, tern_portable_attend_f16,
    portable_rows_float,
};

#if defined(__x86_64__) || defined(__i386__)
TERN_Q4R_PREPARE(avx2_prepare, tern_avx2_prepare)
TERN_Q4R_PREPARE(avx512vnni_prepare, tern_avx512vnni_prepare)
TERN_Q4R_FLOAT(avx2_rows_float, tern_avx2_multiply_rows_float)

static const tern_kernels avx2_kernels = {
    "avx2", tern_portable_quantize_row, tern_portable_dequantize_row, tern_portable_prepared_bytes,
    avx2_prepare, tern_avx2_multiply_rows, tern_avx2_convert_f16, tern_avx2_attend_f16,
    avx2_rows_float,
};
static const tern_kernels avx512vnni_kernels = {
    "avx512vnni", tern_portable_quantize_row, tern_portable_dequantize_row, tern_portable_prepared_bytes,
    avx512vnni_prepare, tern_avx512vnni_multiply_rows, tern_avx2_convert_f16, tern_avx2_attend_f16,
    avx2_rows_float,
};

static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

static int cpu_has_avx512vnni(void) {
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}
#endif

#if defined(__aarch64__)
TERN_Q4R_PREPARE(neon_prepare, tern_neon_prepare)
#define TERN_Q4R_ROWS_PORTABLE(NAME, ROWS)                                                                    \
    static void NAME(int format, const void *weights, int64_t rows, int64_t columns, int64_t row_begin,       \
                     int64_t row_end, const void *activations, int64_t batch, float *output) {                \
        if (tern_is_q4r(format))                                                                              \
            tern_q4r_portable_multiply_rows(format, weights, rows, columns, row_begin, row_end, activations,   \
                                            batch, output);                                                   \
        else                                                                                                  \
            ROWS(format, weights, rows, columns, row_begin, row_end, activations, batch, output);             \
    }
TERN_Q4R_ROWS_PORTABLE(neon_rows, tern_neon_multiply_rows)
TERN_Q4R_ROWS_PORTABLE(neon_dotprod_rows, tern_neon_dotprod_multiply_rows)

static const tern_kernels neon_kernels = {
    "neon", tern_portable_quantize_row, tern_portable_dequantize_row, tern_portable_prepared_bytes,
    neon_prepare, neon_rows, tern_portable_convert_f16, tern_portable_attend_f16,
    portable_rows_float,
};
static const tern_kernels neon_dotprod_kernels = {
    "neon-dotprod", tern_portable_quantize_row, tern_portable_dequantize_row, tern_portable_prepared_bytes,
    neon_prepare, neon_dotprod_rows, tern_portable_convert_f16, tern_portable_attend_f16,
    portable_rows_float,
};

#if defined(__linux__)
#include <sys/auxv.h>
static int cpu_has_dotprod(void) { return (getauxval(AT_HWCAP) & (1UL << 20)) != 0; } // HWCAP_ASIMDDP
#elif defined(__APPLE__)
#include <sys/sysctl.h>
static int cpu_has_dotprod(void) {
    int value = 0;
    size_t size = sizeof(value);
    return sysctlbyname("hw.optional.arm.FEAT_DotProd", &value, &size, NULL, 0) == 0 && value != 0;
}
#else
static int cpu_has_dotprod(void) { return 0; }
#endif
#endif

const tern_kernels *tern_kernels_named(const char *name) {
    if (name == NULL) return NULL;
    if (strcmp(name, "portable") == 0) return &portable_kernels;
#if defined(__x86_64__) || defined(__i386__)
    if (strcmp(name, "avx2") == 0) return cpu_has_avx2() ? &avx2_kernels : NULL;
    if (strcmp(name, "avx512vnni") == 0) return cpu_has_avx512vnni() ? &avx512vnni_kernels : NULL;
#endif
#if defined(__aarch64__)
    if (strcmp(name, "neon") == 0) return &neon_kernels;
    if (strcmp(name, "neon-dotprod") == 0) return cpu_has_dotprod() ? &neon_dotprod_kernels : NULL;
#endif
    return NULL;
}

const tern_kernels *tern_kernels_best(void) {
    // TERN_KERNELS=portable (or another path name) overrides, for debugging and comparisons.
    const tern_kernels *forced = tern_kernels_named(getenv("TERN_KERNELS"));
    if (forced != NULL) return forced;
#if defined(__x86_64__) || defined(__i386__)
    if (cpu_has_avx512vnni()) return &avx512vnni_kernels;
    if (cpu_has_avx2()) return &avx2_kernels;
#endif
#if defined(__aarch64__)
    if (cpu_has_dotprod()) return &neon_dotprod_kernels;
    return &neon_kernels;
#endif
    return &portable_kernels;
}

float tern_f16_to_f32(uint16_t h) { return tern_half_to_float(h); }
uint16_t tern_f32_to_f16(float f) { return tern_float_to_half(f); }
float tern_bf16_to_f32(uint16_t h) { return tern_bfloat_to_float(h); }
uint16_t tern_f32_to_bf16(float f) { return tern_float_to_bfloat(f); }

void tern_matmul_group_job(void *context, int64_t thread_index, int64_t thread_count) {
    (void)thread_index;
    (void)thread_count;
    tern_matmul_group *g = context;
    for (;;) {
        int64_t chunk = __atomic_fetch_add(&g->next_chunk, 1, __ATOMIC_RELAXED);
        int64_t p = 0;
        for (; p < g->count; p++) {
            const tern_matmul_part *part = &g->parts[p];
            const int64_t chunks = (part->rows + part->chunk_rows - 1) / part->chunk_rows;
            if (chunk < chunks) break;
            chunk -= chunks;
        }
        if (p == g->count) return;
        const tern_matmul_part *part = &g->parts[p];
        const int64_t begin = chunk * part->chunk_rows;
        const int64_t end = begin + part->chunk_rows < part->rows ? begin + part->chunk_rows : part->rows;
        if (g->float_activations)
            g->kernels->multiply_rows_float(g->kernels, g->format, part->weights, part->rows, g->columns, begin, end,
                                            g->activations, g->batch, part->output);
        else
            g->kernels->multiply_rows(g->format, part->weights, part->rows, g->columns, begin, end, g->activations,
                                      g->batch, part->output);
    }
}
