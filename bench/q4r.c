// Throughput of q4_0 / q4_1 products in ggml layout vs repacked (q4r.h), with
// the pool and tern_matmul_group_job as Swift runs them. Hot: one copy of the
// matrix (in cache); cold: copies over 160 MB read in turn (DRAM). Best of short
// trials, old and new alternating, so both see the same machine. Not part of the
// package; run with bench/q4r.sh.
#include "tern_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    int format;
    uint8_t *weights;  // (copies, matrix bytes)
    int copies;
    double best;       // seconds per product
} variant;

// ~0.25 s of trials of four products each; keeps the best per-product time.
static void trial(const tern_kernels *k, tern_pool *pool, variant *v, size_t matrix, int64_t rows, int64_t columns,
                  const void *prepared, int64_t batch, float *output) {
    // Chunks as MatMul.chunkRows makes them: whole groups of 8 rows for q4r.
    const int64_t threads = tern_pool_thread_count(pool), chunks = threads == 1 ? 1 : threads * 4;
    const int64_t quantum = v->format == TERN_Q4_0R || v->format == TERN_Q4_1R ? 8 : 4;
    int64_t chunk = ((rows + chunks - 1) / chunks + quantum - 1) / quantum * quantum;
    if (chunk < 16) chunk = 16;
    tern_matmul_group job = {k, v->format, 0, columns, prepared, batch, 1, {{v->weights, rows, output, chunk}}, 0};
    static int iterations = 0;
    const double begin = now();
    while (now() - begin < 0.25) {
        const double start = now();
        for (int t = 0; t < 4; t++, iterations++) {
            job.parts[0].weights = v->weights + (size_t)(iterations % v->copies) * matrix;
            job.next_chunk = 0;
            tern_pool_run(pool, tern_matmul_group_job, &job);
        }
        const double per = (now() - start) / 4;
        if (per < v->best) v->best = per;
    }
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 4;
    const int only_cold = argc > 2 ? atoi(argv[2]) : -1;
    const int only_threads = argc > 3 ? atoi(argv[3]) : 0;
    const int64_t batch = argc > 4 ? atoi(argv[4]) : 1;
    const tern_kernels *k = tern_kernels_best();
    const int64_t shapes[][2] = {{576, 576}, {1536, 576}, {576, 1536}};  // (rows, columns)
    tern_pool *pools[2] = {tern_pool_create(1), tern_pool_create(2)};
    for (int f = 0; f < 2; f++) {
        const int format = f ? TERN_Q4_1 : TERN_Q4_0;
        for (int s = 0; s < 3; s++) {
            const int64_t rows = shapes[s][0], columns = shapes[s][1];
            const size_t row_bytes = (size_t)(columns / 32) * (f ? 20 : 18), matrix = row_bytes * rows;
            float *values = malloc(sizeof(float) * columns * batch);
            uint8_t *w = malloc(matrix);
            for (int64_t r = 0; r < rows; r++) {
                for (int64_t c = 0; c < columns; c++)
                    values[c] = (float)(((r + 1) * (c + 3) * 2654435761u) % 2001) / 1000.0f - 1.0f;
                k->quantize_row(format, values, w + r * row_bytes, columns);
            }
            for (int64_t c = 0; c < columns * batch; c++) values[c] = (float)((c * 7919) % 1000) / 1000.0f - 0.5f;
            const size_t prepared_bytes = k->prepared_bytes(format, columns);
            uint8_t *prepared = malloc(prepared_bytes * batch);
            for (int64_t b = 0; b < batch; b++)
                k->prepare(format, values + b * columns, columns, prepared + b * prepared_bytes);
            float *output = malloc(sizeof(float) * rows * batch);
            for (int cold = 0; cold < 2; cold++) {
                if (only_cold >= 0 && cold != only_cold) continue;
                const int copies = cold ? (int)((160u << 20) / matrix + 1) : 1;
                variant v[2] = {{format, malloc(matrix * copies), copies, 1e9}, {format, malloc(matrix * copies), copies, 1e9}};
                for (int c = 0; c < copies; c++) {
                    memcpy(v[0].weights + (size_t)c * matrix, w, matrix);
                    v[1].format = tern_q4_repack(format, w, v[1].weights + (size_t)c * matrix, rows, columns);
                }
                for (int t = 0; t < 2; t++) {
                    if (only_threads && t + 1 != only_threads) continue;
                    v[0].best = v[1].best = 1e9;
                    for (int r = 0; r < rounds; r++)
                        for (int i = 0; i < 2; i++) trial(k, pools[t], &v[i], matrix, rows, columns, prepared, batch, output);
                    printf("%s %s %4lldx%-4lld batch %lld threads %d %s: q4 %6.1f us %5.1f GB/s | q4r %6.1f us %5.1f GB/s | x%.2f\n",
                           k->name, f ? "q4_1" : "q4_0", (long long)rows, (long long)columns, (long long)batch, t + 1,
                           cold ? "cold" : "hot ", v[0].best * 1e6, matrix / v[0].best / 1e9, v[1].best * 1e6,
                           matrix / v[1].best / 1e9, v[0].best / v[1].best);
                    fflush(stdout);
                }
                free(v[0].weights);
                free(v[1].weights);
            }
            free(values); free(w); free(prepared); free(output);
        }
    }
    tern_pool_destroy(pools[0]);
    tern_pool_destroy(pools[1]);
    return 0;
}
