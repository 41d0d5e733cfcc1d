// Tern's hot inner loops: row conversion, dot products and matrix products for
// every weight format, plus a persistent thread pool. Swift wraps all of this in
// TernKernels; nothing else should call these functions directly.
//
// Formats are identified by ggml's type ids (WeightFormat.rawValue in Swift):
// f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, q8_1 = 9, bf16 = 30,
// mxfp4 = 39, nvfp4 = 40, tq1_0 = 34, tq2_0 = 35. Tern's own formats take ids from
// 0x7400 up, which ggml does not use: files holding them are Tern-only.
#ifndef TERN_KERNELS_H
#define TERN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TERN_F32 = 0,
    TERN_F16 = 1,
    TERN_Q4_0 = 2,
    TERN_Q4_1 = 3,
    TERN_Q8_0 = 8,
    TERN_Q8_1 = 9,
    TERN_BF16 = 30,
    TERN_MXFP4 = 39,
    TERN_NVFP4 = 40,
    TERN_TQ1_0 = 34,
    TERN_TQ2_0 = 35,
    TERN_T2_64 = 0x7400,  // Tern-only ternary format, block of 64 (ternary.h)
    TERN_T2_64R = 0x7480, // t2_64 repacked in memory for lookup-table kernels; never in files (ternary.h)
    TERN_Q4_0R = 0x7482,  // q4_0 repacked in memory in groups of eight rows; never in files (q4r.h)
    TERN_Q4_1R = 0x7483,  // q4_1 likewise
};

/// One implementation of the kernels (portable C, AVX2, AVX-512 VNNI, NEON...).
///
/// Matrix products run in two steps: `prepare` converts one f32 activation
/// vector into the layout the weight format's dot product reads (int8 blocks for
/// quantized weights, nothing for float weights), then `multiply_rows` computes a
/// range of output rows for every vector of the batch.
typedef struct tern_kernels tern_kernels;
struct tern_kernels {
    /// Short name: "portable", "avx2", "avx512vnni", "neon", "neon-dotprod".
    const char *name;

    /// Quantize or convert `count` f32 values into `format`'s ggml row layout.
    /// `count` must be a multiple of the format's block size.
    void (*quantize_row)(int format, const float *source, void *destination, int64_t count);

    /// Expand `count` values of `format`'s ggml row layout to f32.
    void (*dequantize_row)(int format, const void *source, float *destination, int64_t count);

    /// Bytes `prepare` writes for one activation vector of `columns` values.
    size_t (*prepared_bytes)(int format, int64_t columns);

    /// Convert activation vector `input` (`columns` f32) for weights of `format`.
    void (*prepare)(int format, const float *input, int64_t columns, void *prepared);

    /// output[b * rows + r] = W[r] · x_b for r in [row_begin, row_end), b < batch.
    /// `activations` is the f32 input for float formats, else `batch` prepared
    /// vectors of `prepared_bytes` each. Each weight row is read once for the batch.
    void (*multiply_rows)(int format, const void *weights, int64_t rows, int64_t columns,
                          int64_t row_begin, int64_t row_end, const void *activations,
                          int64_t batch, float *output);

    /// Convert `count` f32 values to f16 bit patterns (round to nearest even).
    void (*convert_f16)(const float *source, uint16_t *destination, int64_t count);

    /// Attention of one query head (`head_dim` f32, rounded to f16 first) over
    /// `length` positions of a paged f16 cache: position t lives in page
    /// `pages[t / page_size]`, and its keys and values start at
    /// `keys + pages[t / page_size] * page_stride + (t % page_size) * stride` (same
    /// offset from `values`). One contiguous run is one page of `page_size >= length`.
    /// `output` gets the `head_dim` softmax-weighted sum of values. head_dim <= 1024.
    void (*attend_f16)(const float *query, const uint16_t *keys, const uint16_t *values, int64_t length,
                       int64_t stride, const int32_t *pages, int64_t page_size, int64_t page_stride,
                       int64_t head_dim, float scale, float *output);

    /// Like `multiply_rows`, but with f32 activations for every format: weight
    /// rows are expanded to f32 (with this table's `dequantize_row`) and dotted
    /// with the f32 input. More accurate than 8-bit activations; used for prefill.
    void (*multiply_rows_float)(const tern_kernels *kernels, int format, const void *weights, int64_t rows,
                                int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                int64_t batch, float *output);
};

/// The fastest implementation this CPU runs, or the one named by the
/// TERN_KERNELS environment variable when set and runnable. Callers cache it.
const tern_kernels *tern_kernels_best(void);

/// The implementation named `name`, or NULL when it is not built in or this CPU
/// lacks the instructions it needs. Tests use this to check every path.
const tern_kernels *tern_kernels_named(const char *name);

/// Rewrite `rows` row-major rows of `columns` values in `format` into the
/// layout the lookup-table kernels read, returning the format id of that layout,
/// or `format` itself (and writing nothing) when there is none. t2_64, tq1_0 and
/// tq2_0 (at least 32 rows) become TERN_T2_64R (ternary.h), losslessly;
/// `destination` holds rows * (columns / 64) * 18 bytes.
int tern_ternary_repack(int format, const void *source, void *destination, int64_t rows, int64_t columns);

/// Rewrite `rows` row-major q4_0 or q4_1 rows of `columns` values into groups of
/// eight interleaved rows (q4r.h), returning TERN_Q4_0R or TERN_Q4_1R, or
/// `format` itself (and writing nothing) for other formats, fewer than 8 rows,
/// or `columns` not a positive multiple of 32. Lossless; `destination` holds as
/// many bytes as `source` (rows * columns / 32 * 18 or 20) and must not overlap it.
/// Repacked weights are for the x86 paths (avx2, avx512vnni): there every
/// product reads them faster; the other paths compute them correctly but slowly.
int tern_q4_repack(int format, const void *source, void *destination, int64_t rows, int64_t columns);

/// Row `row` (< `rows`) of a TERN_Q4_0R / TERN_Q4_1R matrix of `rows` x `columns`
/// as `columns` f32: exactly what dequantize_row gives for that row in q4_0 / q4_1.
void tern_q4r_dequantize_row(int format, const void *weights, int64_t rows, int64_t columns, int64_t row,
                             float *destination);

/// Scalar f16/bf16 conversions matching ggml (round to nearest even).
float tern_f16_to_f32(uint16_t h);
uint16_t tern_f32_to_f16(float f);
float tern_bf16_to_f32(uint16_t h);
uint16_t tern_f32_to_bf16(float f);

// MARK: - Attention of several queries

/// Most queries `tern_attend_f16_tokens` takes at once (tokens x heads).
#define TERN_ATTEND_MAX_QUERIES 16

/// `kernels->attend_f16` for `heads` query heads (that share one kv head) of
/// `tokens` consecutive tokens of one sequence, with results identical to one
/// call per head and token: token j's heads start at `query + j * query_stride`
/// (`head_dim` floats each, one after another), its outputs likewise at
/// `output + j * output_stride`, and it attends to positions
/// `0..<first_length + j` of the paged cache (as in `attend_f16`). Each key and
/// value row read from the cache serves all the queries (prompt processing).
void tern_attend_f16_tokens(const tern_kernels *kernels, const float *query, int64_t query_stride, float *output,
                            int64_t output_stride, int64_t tokens, int64_t heads, int64_t first_length,
                            const uint16_t *keys, const uint16_t *values, int64_t stride, const int32_t *pages,
                            int64_t page_size, int64_t page_stride, int64_t head_dim, float scale);

/// Fewest tokens of one chunk that `tern_attend_f16_tiled` is for: llama.cpp's CPU
/// flash attention takes its tiled path from 64 queries per batch (GGML_FA_TILE_Q).
#define TERN_ATTEND_TILED_MIN_TOKENS 64

/// Causal attention of `tokens` consecutive tokens of one sequence, all `heads` query
/// heads (head h reads kv head `h / (heads / kv_heads)`), in tiles, with llama.cpp's
/// arithmetic for 64 or more queries: f32 query, f32 scores of a tile of queries
/// against a tile of 64 keys, a running maximum per key tile, f32 sums of values.
/// Token j's heads start at `query + j * query_stride` (`head_dim` floats each), its
/// outputs at `output + j * output_stride`; it attends to positions
/// `0..<first_length + j` of the paged cache (`keys` and `values` are the cache's
/// bases; rows are `kv_heads * head_dim` apart within a page, as in `attend_f16`).
/// Does thread `thread_index`'s share of `thread_count` (each about the same causal
/// work); a row's result does not depend on the split. Heads over 128 take
/// `kernels->attend_f16` per row.
void tern_attend_f16_tiled(const tern_kernels *kernels, const float *query, int64_t query_stride, float *output,
                           int64_t output_stride, int64_t tokens, int64_t heads, int64_t kv_heads,
                           int64_t first_length, const uint16_t *keys, const uint16_t *values, const int32_t *pages,
                           int64_t page_size, int64_t page_stride, int64_t head_dim, float scale,
                           int64_t thread_index, int64_t thread_count);

/// e^x (x <= 0) as `tern_attend_f16_tiled` computes it on `kernels`' path (tests).
void tern_attention_exp(const tern_kernels *kernels, const float *x, float *y, int64_t count);

/// The SwiGLU gate, gate[i] = gate[i] / (1 + e^-gate[i]) * up[i], on the fastest
/// loop `kernels`' CPU runs (the SIMD loops' e^x is within about an ulp of expf's).
void tern_swiglu(const tern_kernels *kernels, float *gate, const float *up, int64_t count);
/// The same gate with glibc's expf algorithm (activation.c): on glibc x86-64 the
/// same bits as `gate / (1 + expf(-gate)) * up`, eight lanes at a time on AVX2.
void tern_swiglu_libm(const tern_kernels *kernels, float *gate, const float *up, int64_t count);

// MARK: - Thread pool

typedef struct tern_pool tern_pool;

/// The job a pool runs: called once per thread with (context, index, count).
typedef void (*tern_pool_job)(void *context, int64_t thread_index, int64_t thread_count);

/// Start `thread_count - 1` workers (the caller is thread 0). NULL on failure.
tern_pool *tern_pool_create(int64_t thread_count);

/// Threads the pool runs jobs on, the caller included (may be fewer than
/// requested if the system refused to start more).
int64_t tern_pool_thread_count(const tern_pool *pool);

/// Run `job` on every thread and return when all are done. Not reentrant: call
/// from one thread at a time.
void tern_pool_run(tern_pool *pool, tern_pool_job job, void *context);

/// Stop and join the workers, then free the pool.
void tern_pool_destroy(tern_pool *pool);

// MARK: - Threaded matrix product

/// One to TERN_MATMUL_GROUP_MAX products of one input (same format and columns,
/// so one prepared copy of the input serves all), shared by a pool's threads:
/// each part's rows are cut into chunks of `chunk_rows` that threads claim in
/// turn, so a thread that starts late (its core was busy) still takes a share.
/// A decode step's query/key/value or gate/up products thus cost one pool round
/// trip, and each row is computed exactly as in a product on its own.
/// Fill every field, with `next_chunk` = 0, then run `tern_matmul_group_job`.
#define TERN_MATMUL_GROUP_MAX 3
typedef struct tern_matmul_part {
    const void *weights;
    int64_t rows;
    float *output;
    int64_t chunk_rows;  // as a lone product of this part would use
} tern_matmul_part;

typedef struct tern_matmul_group {
    const tern_kernels *kernels;
    int format;
    int float_activations;  // 1: `activations` is f32 input for multiply_rows_float
    int64_t columns;
    const void *activations;
    int64_t batch;
    int64_t count;  // parts in use
    tern_matmul_part parts[TERN_MATMUL_GROUP_MAX];
    int64_t next_chunk;  // claimed atomically, over the parts' chunks in order
} tern_matmul_group;

/// A `tern_pool_job` whose context is a `tern_matmul_group`.
void tern_matmul_group_job(void *context, int64_t thread_index, int64_t thread_count);

#ifdef __cplusplus
}
#endif

#endif
