// Matrix-vector throughput of the CTernKernels matmul (weights GB/s).
// Build and run with bench/matvec.sh [path] [ggml type id] [compute]; the third
// argument times an L1-resident matrix (pure compute). Not part of the package.
#include "tern_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Wall time, or this thread's CPU time: on a shared machine the latter shows
// what the kernel does when it actually has a core.
static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void bench(const tern_kernels *k, tern_pool *pool, int format, int64_t rows, int64_t columns, int copies, int64_t batch) {
    const size_t row_bytes = format == TERN_F32 ? columns * 4 : format == TERN_F16 || format == TERN_BF16 ? columns * 2
                             : columns / 32 * (format == TERN_Q4_1 ? 20 : format == TERN_Q4_0 ? 18 : 34);
    const size_t matrix = row_bytes * rows;
    float *values = malloc(sizeof(float) * columns * batch);
    for (int64_t i = 0; i < columns * batch; i++) values[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    uint8_t *weights = malloc(matrix * copies);
    float *row = malloc(sizeof(float) * columns);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < columns; c++) row[c] = (float)(((r + 1) * (c + 3) * 2654435761u) % 2001) / 1000.0f - 1.0f;
        k->quantize_row(format, row, weights + r * row_bytes, columns);
    }
    for (int c = 1; c < copies; c++) memcpy(weights + c * matrix, weights, matrix);
    void *prepared = malloc(k->prepared_bytes(format, columns) * batch + 1);
    for (int64_t b = 0; b < batch; b++) k->prepare(format, values + b * columns, columns, (char *)prepared + b * k->prepared_bytes(format, columns));
    float *output = malloc(sizeof(float) * rows * batch);
    const int64_t chunks = tern_pool_thread_count(pool) * 4;
    tern_matmul_group j = {k, format, 0, columns, k->prepared_bytes(format, columns) ? prepared : (void *)values, batch, 1,
                           {{weights, rows, output, (rows + chunks - 1) / chunks}}, 0};
    // Warm up, then time enough iterations for ~0.3 s.
    for (int c = 0; c < copies; c++) { j.parts[0].weights = weights + c * matrix; { j.next_chunk = 0; tern_pool_run(pool, tern_matmul_group_job, &j); } }
    // Best of many short trials: on a shared machine the minimum is the
    // closest to what the kernel does with a core (and memory) to itself.
    const clockid_t clock = CLOCK_MONOTONIC;
    double per = 1e9;
    int iterations = 0;
    const double begin = seconds(clock);
    while (seconds(clock) - begin < 1.5) {
        const double start = seconds(clock);
        const int n = rows * columns > 4000000 ? 1 : 4;
        for (int t = 0; t < n; t++, iterations++) {
            j.parts[0].weights = weights + (iterations % copies) * matrix;
            { j.next_chunk = 0; tern_pool_run(pool, tern_matmul_group_job, &j); }
        }
        const double trial = (seconds(clock) - start) / n;
        if (trial < per) per = trial;
    }
    printf("%-10s threads %lld  %6lldx%-5lld batch %-3lld %s %s: %8.1f us/product  %6.1f GB/s weights  %6.1f Gweights/s\n",
           k->name, (long long)tern_pool_thread_count(pool), (long long)rows, (long long)columns, (long long)batch,
           copies > 1 ? "cold (DRAM)" : "hot (cache)", "best", per * 1e6, matrix / per / 1e9, rows * columns * batch / per / 1e9);
    free(values); free(weights); free(row); free(prepared); free(output);
}

int main(int argc, char **argv) {
    const tern_kernels *k = argc > 1 ? tern_kernels_named(argv[1]) : tern_kernels_best();
    if (k == NULL) { fprintf(stderr, "unknown path\n"); return 1; }
    int format = argc > 2 ? atoi(argv[2]) : TERN_Q4_1;
    if (argc > 3) {  // compute only: an L1-resident matrix on one thread
        tern_pool *pool = tern_pool_create(1);
        for (int i = 0; i < 3; i++) bench(k, pool, format, 24, 1536, 1, 1);
        for (int i = 0; i < 2; i++) bench(k, pool, format, 64, 576, 1, 1);
        for (int i = 0; i < 2; i++) bench(k, pool, format, 24, 1536, 1, 4);
        tern_pool_destroy(pool);
        return 0;
    }
    for (int threads = 1; threads <= 2; threads++) {
        tern_pool *pool = tern_pool_create(threads);
        bench(k, pool, format, 576, 1536, 1, 1);
        bench(k, pool, format, 576, 1536, 200, 1);
        bench(k, pool, format, 49152, 576, 1, 1);
        bench(k, pool, format, 49152, 576, 8, 1);
        bench(k, pool, format, 576, 1536, 1, 8);
        tern_pool_destroy(pool);
    }
    return 0;
}
