// Self-checking run of the aarch64 kernel tables ("neon", "neon-dotprod")
// against the "portable" table, for a machine that has no arm64 CPU: compiled
// for aarch64 with the CTernKernels sources and run under qemu-aarch64 by
// Tests/TernKernelsTests/CrossArchitectureTests.swift (which has the command).
//
//   kernel_check dotprod     the CPU has the dot product: both tables must run
//   kernel_check nodotprod   it has not: dispatch must fall back to "neon"
//
// Prints one line per check ("ok" or "FAIL") and exits 1 on any failure.
//
// Exact or not: every table shares the portable row conversions, so
// quantize_row, dequantize_row, prepared_bytes, prepare and (while the tables
// point at the portable functions) convert_f16, attend_f16 and
// multiply_rows_float must agree bit for bit. multiply_rows must too for the
// ternary formats: the integer sum of one weight block is exact, and the
// per-block float formula and the order of the blocks are the portable ones.
// The other formats' NEON dot products add the same exact per-block integer
// sums (or, for f32/f16/bf16, the same products), but accumulate the n scaled
// terms in several f32 lanes with fused multiply-adds instead of in one running
// sum. Each order's rounding error is at most about n u S (u = FLT_EPSILON / 2,
// S = the sum of the terms' magnitudes), so two orders differ by at most
// 2 n u S; they are compared with tolerance (n + 8) * 2 * FLT_EPSILON * S,
// twice that plus room for the roundings inside each term. S is bounded per
// 32-value block by 4 * max|w| * 32 * max|x| (4 covers q4's folded offset and
// min terms), and is sum |w x| for float rows. A wrong block, nibble or scale
// is off by thousands of tolerances (seen with deliberately broken kernels).
#include "tern_kernels.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Reporting

static int failures = 0;
static int checks = 0;

// The first difference a failed comparison saw, printed under its FAIL line.
static char difference_note[160];

static void note_difference(int64_t i, float got, float expected) {
    if (difference_note[0] == 0)
        snprintf(difference_note, sizeof difference_note, "output %lld (batch-major): got %.9g (%a), portable %.9g (%a)",
                 (long long)i, got, got, expected, expected);
}

static void report(int ok, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(format, arguments);
    printf("\n");
    va_end(arguments);
    if (!ok && difference_note[0] != 0) printf("     first difference: %s\n", difference_note);
    difference_note[0] = 0;
    checks++;
    if (!ok) failures++;
}

// MARK: - Data

static uint64_t random_state = 0x5eed;

static uint64_t next_random(void) {  // SplitMix64
    uint64_t z = (random_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float uniform(void) { return (float)((double)(next_random() >> 11) * 0x1p-53 * 2.0 - 1.0); }

// Roughly the spread of LLM weights and activations: uniform with outliers, a
// zero 32-value block now and then (a zero scale), and for `extreme` data only
// +-1, which drives every quantized code to its end of the range.
static void fill(float *x, int64_t count, float scale, int extreme) {
    for (int64_t i = 0; i < count; i++) {
        float v = extreme ? (next_random() & 1 ? 1.0f : -1.0f) : uniform();
        if (!extreme && i % 11 == 3) v *= 4;
        x[i] = v * scale;
    }
    if (!extreme && count >= 96) memset(x + 64, 0, 32 * sizeof(float));
}

// MARK: - Formats

typedef struct {
    const char *name;
    int id;        // the id multiply_rows gets (t2_64r: repacked from t2_64)
    int block;     // values per block
    int exact;     // multiply_rows must match the portable table bit for bit
} format_info;

static const format_info formats[] = {
    {"f32", TERN_F32, 1, 0},       {"f16", TERN_F16, 1, 0},       {"bf16", TERN_BF16, 1, 0},
    {"q4_0", TERN_Q4_0, 32, 0},    {"q4_1", TERN_Q4_1, 32, 0},    {"q8_0", TERN_Q8_0, 32, 0},
    {"q8_1", TERN_Q8_1, 32, 0},    {"mxfp4", TERN_MXFP4, 32, 0},  {"nvfp4", TERN_NVFP4, 64, 0},
    {"tq1_0", TERN_TQ1_0, 256, 1}, {"tq2_0", TERN_TQ2_0, 256, 1}, {"t2_64", TERN_T2_64, 64, 1},
    {"t2_64r", TERN_T2_64R, 64, 1},
};
#define FORMAT_COUNT (int)(sizeof(formats) / sizeof(formats[0]))

static int is_float_format(int id) { return id == TERN_F32 || id == TERN_F16 || id == TERN_BF16; }

static int file_format(const format_info *f) { return f->id == TERN_T2_64R ? TERN_T2_64 : f->id; }

// MARK: - Comparisons

static int same_bits(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

static const uint32_t sentinel_bits = 0x7fc0dead;  // a NaN no kernel writes

static float sentinel(void) {
    float f;
    memcpy(&f, &sentinel_bits, 4);
    return f;
}

static int is_sentinel(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u == sentinel_bits;
}

// Largest |got - expected| over `count` outputs relative to tolerance[i], or
// any difference at all without tolerances (> 1 fails); an output that one side
// left unwritten and the other wrote fails.
static double worst_ratio(const float *got, const float *expected, const double *tolerance, int64_t count) {
    double worst = 0;
    for (int64_t i = 0; i < count; i++) {
        if (is_sentinel(got[i]) != is_sentinel(expected[i])) {
            note_difference(i, got[i], expected[i]);
            return INFINITY;
        }
        if (is_sentinel(got[i])) continue;
        const double difference = fabs((double)got[i] - (double)expected[i]);
        if (!(difference == difference) || !isfinite(got[i]) != !isfinite(expected[i])) {
            note_difference(i, got[i], expected[i]);
            return INFINITY;
        }
        const double ratio = tolerance ? difference / tolerance[i] : (difference > 0 ? INFINITY : 0);
        if (ratio > 1 && worst <= 1) note_difference(i, got[i], expected[i]);
        if (ratio > worst) worst = ratio;
    }
    return worst;
}

// MARK: - Row conversions

static void check_conversions(const tern_kernels *t, const tern_kernels *p) {
    enum { COLUMNS = 512 };
    static float x[COLUMNS], back_t[COLUMNS], back_p[COLUMNS];
    static uint8_t packed_t[COLUMNS * 4], packed_p[COLUMNS * 4];
    for (int i = 0; i < FORMAT_COUNT; i++) {
        const format_info *f = &formats[i];
        if (f->id == TERN_T2_64R) continue;  // in memory only: no row conversions
        fill(x, COLUMNS, 0.1f, 0);
        memset(packed_t, 0xa5, sizeof packed_t);
        memset(packed_p, 0xa5, sizeof packed_p);
        t->quantize_row(f->id, x, packed_t, COLUMNS);
        p->quantize_row(f->id, x, packed_p, COLUMNS);
        t->dequantize_row(f->id, packed_p, back_t, COLUMNS);
        p->dequantize_row(f->id, packed_p, back_p, COLUMNS);
        report(same_bits(packed_t, packed_p, sizeof packed_t) && same_bits(back_t, back_p, sizeof back_t),
               "%s %s quantize_row and dequantize_row, %d values: bit-identical to portable", t->name, f->name,
               COLUMNS);
    }

    // Round-to-nearest-even edge cases, infinities, NaN and subnormals, then random values.
    static float values[4096];
    static uint16_t halves_t[4096], halves_p[4096];
    const float edges[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f, 1e-8f, 5.96e-8f, 2.9802322e-8f,
                           6.1e-5f, INFINITY, -INFINITY, NAN, 1.00048828125f, 1.00146484375f, -3.0e-6f};
    const int64_t count = 4093;  // not a multiple of any vector width
    for (int64_t i = 0; i < count; i++) {
        if (i < (int64_t)(sizeof edges / sizeof edges[0])) {
            values[i] = edges[i];
        } else {
            const uint32_t bits = (0x30000000u + (uint32_t)(next_random() % 0x18000000u)) | (uint32_t)(next_random() & 1) << 31;
            memcpy(&values[i], &bits, 4);
        }
    }
    t->convert_f16(values, halves_t, count);
    p->convert_f16(values, halves_p, count);
    report(same_bits(halves_t, halves_p, (size_t)count * 2), "%s convert_f16, %lld values with ties and specials: "
           "bit-identical to portable", t->name, (long long)count);
}

// MARK: - Attention

static void check_attention(const tern_kernels *t, const tern_kernels *p) {
    enum { MAX_POSITIONS = 48, PAGE = 16, MAX_DIM = 80 };
    static uint16_t keys[4 * PAGE * MAX_DIM], cache_values[4 * PAGE * MAX_DIM];
    static float query[MAX_DIM], out_t[MAX_DIM], out_p[MAX_DIM], staging[4 * PAGE * MAX_DIM];
    const int32_t pages[3] = {2, 0, 3};  // out of order, page 1 unused
    const int64_t dims[] = {64, 17, 80};
    const int64_t lengths[] = {1, 7, 16, 41};
    const int same = t->attend_f16 == p->attend_f16;
    for (int di = 0; di < 3; di++)
        for (int li = 0; li < 4; li++) {
            const int64_t dim = dims[di], length = lengths[li], stride = dim, page_stride = PAGE * dim;
            fill(staging, 4 * PAGE * dim, 1.0f, 0);
            p->convert_f16(staging, keys, 4 * PAGE * dim);
            fill(staging, 4 * PAGE * dim, 1.0f, 0);
            p->convert_f16(staging, cache_values, 4 * PAGE * dim);
            fill(query, dim, 1.0f, 0);
            const float scale = 1.0f / sqrtf((float)dim);
            t->attend_f16(query, keys, cache_values, length, stride, pages, PAGE, page_stride, dim, scale, out_t);
            p->attend_f16(query, keys, cache_values, length, stride, pages, PAGE, page_stride, dim, scale, out_p);
            // The output is a convex combination of f16 values (|v| < 1) kept in
            // f16 as it accumulates: another order may differ by a few f16 ulps.
            double tolerance[MAX_DIM];
            for (int64_t i = 0; i < dim; i++) tolerance[i] = 8 * 0x1p-11;
            const double worst = worst_ratio(out_t, out_p, same ? NULL : tolerance, dim);
            report(worst <= 1, "%s attend_f16, head_dim %lld over %lld paged positions: %s", t->name,
                   (long long)dim, (long long)length, same ? "bit-identical to portable" : "within 8 f16 ulps");
        }
}

// MARK: - Matrix products

enum { MAX_ROWS = 70, MAX_COLUMNS = 512, MAX_BATCH = 8 };

// Buffers for one product, static: a few MB would not fit every stack.
static float weights_f32[MAX_ROWS * MAX_COLUMNS], weights_expanded[MAX_ROWS * MAX_COLUMNS];
static float inputs[MAX_BATCH * MAX_COLUMNS];
static uint8_t packed[MAX_ROWS * MAX_COLUMNS * 4], repacked[MAX_ROWS * MAX_COLUMNS * 4];
static uint8_t prepared_t[MAX_BATCH * MAX_COLUMNS * 64], prepared_p[MAX_BATCH * MAX_COLUMNS * 64];
static float out_t[MAX_BATCH * MAX_ROWS], out_p[MAX_BATCH * MAX_ROWS];
static double tolerance[MAX_BATCH * MAX_ROWS], tolerance_float[MAX_BATCH * MAX_ROWS];

static double max_abs(const float *x, int64_t count) {
    double m = 0;
    for (int64_t i = 0; i < count; i++) m = fmax(m, fabs((double)x[i]));
    return m;
}

// Tolerances of multiply_rows (8-bit activations) and multiply_rows_float for
// every output, from the bound in the header comment.
static void fill_tolerances(const format_info *f, int64_t rows, int64_t columns) {
    const double epsilon = FLT_EPSILON;
    for (int64_t b = 0; b < MAX_BATCH; b++)
        for (int64_t r = 0; r < rows; r++) {
            const float *w = weights_expanded + r * columns, *x = inputs + b * columns;
            double blocks_sum = 0, products_sum = 0;
            for (int64_t j = 0; j < columns; j++) products_sum += fabs((double)w[j] * x[j]);
            for (int64_t j = 0; j + 32 <= columns; j += 32)
                blocks_sum += 4 * max_abs(w + j, 32) * 32 * max_abs(x + j, 32);
            const double terms = is_float_format(f->id) ? (double)columns : (double)columns / 32;
            tolerance[b * rows + r] = (terms + 8) * 2 * epsilon * (is_float_format(f->id) ? products_sum : blocks_sum) + FLT_MIN;
            tolerance_float[b * rows + r] = ((double)columns + 8) * 2 * epsilon * products_sum + FLT_MIN;
        }
}

// Random weights of `f` (extreme: every code at an end of its range), their
// f32 expansion, and inputs; returns the id to multiply with, or -1 when the
// format needs more rows (t2_64r groups 32).
static int make_weights(const tern_kernels *p, const format_info *f, int64_t rows, int64_t columns, int extreme) {
    fill(weights_f32, rows * columns, 0.1f, extreme);
    const int stored = file_format(f);
    p->quantize_row(stored, weights_f32, packed, rows * columns);
    if (stored == TERN_Q8_0 && extreme) {
        // -128 is a valid q8_0 code that ggml's quantizer never writes; a file may.
        for (int64_t j = 0; j < columns / 32; j++) memset(packed + j * 34 + 2, 0x80, 32);
    }
    p->dequantize_row(stored, packed, weights_expanded, rows * columns);
    fill(inputs, MAX_BATCH * columns, 1.0f, extreme);
    if (f->id != TERN_T2_64R) return f->id;
    return tern_ternary_repack(TERN_T2_64, packed, repacked, rows, columns) == TERN_T2_64R ? TERN_T2_64R : -1;
}

static void check_product(const tern_kernels *t, const tern_kernels *p, const format_info *f, int64_t rows,
                          int64_t columns, int extreme) {
    const int id = make_weights(p, f, rows, columns, extreme);
    if (id < 0) return;
    const void *weights = id == TERN_T2_64R ? (const void *)repacked : (const void *)packed;
    fill_tolerances(f, rows, columns);

    // Activation preparation: same size and bytes as the portable path's.
    const size_t bytes = p->prepared_bytes(id, columns);
    int prepared_same = t->prepared_bytes(id, columns) == bytes;
    if (prepared_same && bytes > 0) {
        memset(prepared_t, 0x5a, MAX_BATCH * bytes);
        memset(prepared_p, 0x5a, MAX_BATCH * bytes);
        for (int64_t b = 0; b < MAX_BATCH; b++) {
            t->prepare(id, inputs + b * columns, columns, prepared_t + b * bytes);
            p->prepare(id, inputs + b * columns, columns, prepared_p + b * bytes);
        }
        prepared_same = same_bits(prepared_t, prepared_p, MAX_BATCH * bytes);
    }
    if (bytes > 0)
        report(prepared_same, "%s %s prepare, %lld columns x 8 vectors: bit-identical to portable", t->name,
               f->name, (long long)columns);
    const void *activations_t = bytes ? (const void *)prepared_t : (const void *)inputs;
    const void *activations_p = bytes ? (const void *)prepared_p : (const void *)inputs;

    // Every batch size over all rows, then a middle range and the last row with
    // 3 vectors (their rows are the same dot products).
    const int64_t ranges[3][2] = {{0, rows}, {rows / 3, rows - 1 > rows / 3 ? rows - 1 : rows}, {rows - 1, rows}};
    const char *data = extreme ? "extreme codes" : "random";
    double worst = 0;
    for (int ri = 0; ri < 3; ri++)
        for (int64_t batch = ri == 0 ? 1 : 3; batch <= (ri == 0 ? MAX_BATCH : 3); batch++) {
            const int64_t begin = ranges[ri][0], end = ranges[ri][1];
            for (int64_t i = 0; i < MAX_BATCH * rows; i++) out_t[i] = out_p[i] = sentinel();
            t->multiply_rows(id, weights, rows, columns, begin, end, activations_t, batch, out_t);
            p->multiply_rows(id, weights, rows, columns, begin, end, activations_p, batch, out_p);
            worst = fmax(worst, worst_ratio(out_t, out_p, f->exact ? NULL : tolerance, MAX_BATCH * rows));
        }
    report(worst <= 1, "%s %s multiply_rows, %lld rows x %lld columns, %s, 1-8 vectors, 3 row ranges: %s (%.3g)",
           t->name, f->name, (long long)rows, (long long)columns, data,
           f->exact ? "bit-identical to portable" : "worst difference / tolerance", worst);

    const int exact_float = t->multiply_rows_float == p->multiply_rows_float && t->dequantize_row == p->dequantize_row;
    worst = 0;
    for (int ri = 0; ri < 3; ri++)
        for (int64_t batch = ri == 0 ? 1 : 3; batch <= (ri == 0 ? MAX_BATCH : 3); batch++) {
            const int64_t begin = ranges[ri][0], end = ranges[ri][1];
            for (int64_t i = 0; i < MAX_BATCH * rows; i++) out_t[i] = out_p[i] = sentinel();
            t->multiply_rows_float(t, id, weights, rows, columns, begin, end, inputs, batch, out_t);
            p->multiply_rows_float(p, id, weights, rows, columns, begin, end, inputs, batch, out_p);
            worst = fmax(worst, worst_ratio(out_t, out_p, exact_float ? NULL : tolerance_float, MAX_BATCH * rows));
        }
    report(worst <= 1, "%s %s multiply_rows_float, %lld rows x %lld columns, %s, 1-8 vectors: %s (%.3g)",
           t->name, f->name, (long long)rows, (long long)columns, data,
           exact_float ? "bit-identical to portable" : "worst difference / tolerance", worst);
}

static void check_products(const tern_kernels *t, const tern_kernels *p) {
    // 37 and 70: one and two t2_64r groups of 32 plus leftover rows (only t2_64r needs 70).
    const int64_t row_counts[] = {1, 6, 37, 70};
    for (int i = 0; i < FORMAT_COUNT; i++) {
        const format_info *f = &formats[i];
        // Column counts: one block and several; float rows also odd lengths (the vector loops' tails).
        int64_t columns[4] = {f->block, f->block == 256 ? 512 : f->block == 64 ? 192 : 160, 0, 0};
        if (f->block == 1) {
            columns[0] = 7;  // with 160 and 77
            columns[2] = 77;
        }
        for (int ci = 0; ci < 4 && columns[ci] > 0; ci++)
            for (int ri = 0; ri < 4; ri++) {
                if (row_counts[ri] == 70 && f->id != TERN_T2_64R) continue;
                check_product(t, p, f, row_counts[ri], columns[ci], 0);
                if (ri == 1) check_product(t, p, f, row_counts[ri], columns[ci], 1);
            }
    }
}

// MARK: - Threads and helpers that take a table

// The pool (its aarch64 spin hint) and the group job: a product of several
// parts shared by 3 threads must give each row exactly as one call does.
static void check_threads(const tern_kernels *t) {
    enum { ROWS = 37, COLUMNS = 160, BATCH = 3 };
    static uint8_t weights_q4[3][ROWS * COLUMNS / 32 * 20];
    static float threaded[3][BATCH * ROWS], single[3][BATCH * ROWS];
    const size_t bytes = t->prepared_bytes(TERN_Q4_1, COLUMNS);
    static uint8_t prepared[BATCH * COLUMNS * 64];
    fill(inputs, BATCH * COLUMNS, 1.0f, 0);
    for (int64_t b = 0; b < BATCH; b++) t->prepare(TERN_Q4_1, inputs + b * COLUMNS, COLUMNS, prepared + b * bytes);
    tern_matmul_group group = {t, TERN_Q4_1, 0, COLUMNS, prepared, BATCH, 3, {{0}}, 0};
    for (int part = 0; part < 3; part++) {
        fill(weights_f32, ROWS * COLUMNS, 0.1f, 0);
        t->quantize_row(TERN_Q4_1, weights_f32, weights_q4[part], ROWS * COLUMNS);
        t->multiply_rows(TERN_Q4_1, weights_q4[part], ROWS, COLUMNS, 0, ROWS, prepared, BATCH, single[part]);
        group.parts[part] = (tern_matmul_part){weights_q4[part], ROWS, threaded[part], 5};
    }
    tern_pool *pool = tern_pool_create(3);
    int same = pool != NULL && tern_pool_thread_count(pool) == 3;
    for (int round = 0; round < 4 && same; round++) {  // later rounds wake parked or spinning workers
        memset(threaded, 0, sizeof threaded);
        group.next_chunk = 0;
        tern_pool_run(pool, tern_matmul_group_job, &group);
        same = same_bits(threaded, single, sizeof single);
    }
    if (pool != NULL) tern_pool_destroy(pool);
    report(same, "%s q4_1 group of 3 products on a pool of 3 threads, 4 rounds: bit-identical to single calls",
           t->name);
}

// tern_swiglu and tern_attend_f16_tokens choose their loops by the table.
static void check_table_helpers(const tern_kernels *t, const tern_kernels *p) {
    enum { COUNT = 301, DIM = 32, TOKENS = 3, HEADS = 2, PAGE = 8 };
    static float gate_t[COUNT], gate_p[COUNT], up[COUNT];
    fill(gate_t, COUNT, 4.0f, 0);
    memcpy(gate_p, gate_t, sizeof gate_t);
    fill(up, COUNT, 1.0f, 0);
    tern_swiglu(t, gate_t, up, COUNT);
    tern_swiglu(p, gate_p, up, COUNT);
    report(same_bits(gate_t, gate_p, sizeof gate_t), "%s tern_swiglu, %d values: bit-identical to portable", t->name,
           COUNT);

    static uint16_t keys[3 * PAGE * DIM], cache_values[3 * PAGE * DIM];
    static float staging[3 * PAGE * DIM], query[TOKENS * HEADS * DIM], out_a[TOKENS * HEADS * DIM],
        out_b[TOKENS * HEADS * DIM];
    const int32_t pages[3] = {1, 2, 0};
    fill(staging, 3 * PAGE * DIM, 1.0f, 0);
    p->convert_f16(staging, keys, 3 * PAGE * DIM);
    fill(staging, 3 * PAGE * DIM, 1.0f, 0);
    p->convert_f16(staging, cache_values, 3 * PAGE * DIM);
    fill(query, TOKENS * HEADS * DIM, 1.0f, 0);
    const float scale = 0.125f;
    tern_attend_f16_tokens(t, query, HEADS * DIM, out_a, HEADS * DIM, TOKENS, HEADS, 19, keys, cache_values, DIM,
                           pages, PAGE, PAGE * DIM, DIM, scale);
    for (int64_t j = 0; j < TOKENS; j++)
        for (int64_t h = 0; h < HEADS; h++)
            p->attend_f16(query + (j * HEADS + h) * DIM, keys, cache_values, 19 + j, DIM, pages, PAGE, PAGE * DIM,
                          DIM, scale, out_b + (j * HEADS + h) * DIM);
    report(same_bits(out_a, out_b, sizeof out_a),
           "%s tern_attend_f16_tokens, %d tokens x %d heads: bit-identical to portable attend_f16 per head", t->name,
           TOKENS, HEADS);
}

// MARK: - Dispatch

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "dotprod") != 0 && strcmp(argv[1], "nodotprod") != 0)) {
        fprintf(stderr, "usage: %s dotprod|nodotprod (whether the CPU has the dot-product extension)\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const int dotprod = strcmp(argv[1], "dotprod") == 0;
    const tern_kernels *portable = tern_kernels_named("portable");
    const tern_kernels *neon = tern_kernels_named("neon");
    const tern_kernels *neon_dotprod = tern_kernels_named("neon-dotprod");
    const tern_kernels *best = tern_kernels_best();
    report(portable != NULL && neon != NULL, "tables \"portable\" and \"neon\" exist");
    report((neon_dotprod != NULL) == dotprod, "table \"neon-dotprod\" %s", dotprod ? "exists" : "is refused");
    report(best != NULL && strcmp(best->name, dotprod ? "neon-dotprod" : "neon") == 0,
           "tern_kernels_best() is \"%s\" (expected \"%s\")", best ? best->name : "NULL",
           dotprod ? "neon-dotprod" : "neon");
    if (portable == NULL || neon == NULL) return 1;

    const tern_kernels *tables[2] = {neon, neon_dotprod};
    for (int i = 0; i < 2; i++) {
        if (tables[i] == NULL) continue;
        check_conversions(tables[i], portable);
        check_attention(tables[i], portable);
        check_products(tables[i], portable);
        check_threads(tables[i]);
        check_table_helpers(tables[i], portable);
    }
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
