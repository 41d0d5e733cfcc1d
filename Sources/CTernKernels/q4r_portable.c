// q4_0r / q4_1r (q4r.h): repacking, row expansion, and the portable rows, which
// do the x86 kernels' arithmetic in plain C (for tests and non-x86 paths; Swift
// repacks only for x86).
#include "internal.h"

#include <math.h>
#include <stdlib.h>

// Each multiply and add rounds on its own, as the x86 kernels' separate instructions.
#pragma STDC FP_CONTRACT OFF

static size_t q4_block_bytes(int has_min) { return has_min ? sizeof(tern_block_q4_1) : sizeof(tern_block_q4_0); }

// Offset of qs byte j (< 16) of row i (< 8) within a group block's nibbles.
static inline size_t q4r_nibble_offset(int i, int j) { return (size_t)(32 * (j / 4) + 16 * (i / 4) + 4 * (i % 4) + j % 4); }

void tern_q4r_pack_group(int has_min, const uint8_t *first, size_t row_bytes, int n, int64_t blocks, uint8_t *out) {
    const size_t stride = q4_block_bytes(has_min), qs = has_min ? 4 : 2;
    const size_t group_block = tern_q4r_group_block_bytes(has_min), nibbles = has_min ? 32 : 16;
    for (int64_t b = 0; b < blocks; b++, first += stride, out += group_block) {
        if (n < TERN_Q4R_ROWS) memset(out, 0, group_block);
        for (int i = 0; i < n; i++) {
            const uint8_t *block = first + (size_t)i * row_bytes;
            memcpy(out + 2 * i, block, 2);
            if (has_min) memcpy(out + 16 + 2 * i, block + 2, 2);
            for (int k = 0; k < 4; k++) memcpy(out + nibbles + q4r_nibble_offset(i, 4 * k), block + qs + 4 * k, 4);
        }
    }
}

int tern_q4_repack(int format, const void *source, void *destination, int64_t rows, int64_t columns) {
    if (!(format == TERN_Q4_0 || format == TERN_Q4_1) || columns <= 0 || columns % 32 != 0 || rows < TERN_Q4R_ROWS)
        return format;
    const int has_min = format == TERN_Q4_1;
    const int64_t blocks = columns / 32, groups = rows / TERN_Q4R_ROWS;
    const size_t row_bytes = tern_row_bytes(format, columns), group_bytes = TERN_Q4R_ROWS * row_bytes;
    const uint8_t *w = source;
    uint8_t *out = destination;
    for (int64_t g = 0; g < groups; g++)
        tern_q4r_pack_group(has_min, w + (size_t)g * group_bytes, row_bytes, TERN_Q4R_ROWS, blocks,
                            out + (size_t)g * group_bytes);
    memcpy(out + (size_t)groups * group_bytes, w + (size_t)groups * group_bytes,
           (size_t)(rows - groups * TERN_Q4R_ROWS) * row_bytes);
    return has_min ? TERN_Q4_1R : TERN_Q4_0R;
}

// Block b of row r as a q4 block (d, m for q4_1, 16 bytes of qs) at `block`.
static void q4r_read_block(int has_min, const uint8_t *weights, int64_t rows, int64_t blocks, int64_t r, int64_t b,
                           uint8_t *block) {
    const size_t stride = q4_block_bytes(has_min), row_bytes = (size_t)blocks * stride;
    if (r >= rows / TERN_Q4R_ROWS * TERN_Q4R_ROWS) {
        memcpy(block, weights + (size_t)r * row_bytes + (size_t)b * stride, stride);
        return;
    }
    const int i = (int)(r % TERN_Q4R_ROWS);
    const uint8_t *group = weights + (size_t)(r / TERN_Q4R_ROWS) * TERN_Q4R_ROWS * row_bytes +
                           (size_t)b * tern_q4r_group_block_bytes(has_min);
    memcpy(block, group + 2 * i, 2);
    if (has_min) memcpy(block + 2, group + 16 + 2 * i, 2);
    const uint8_t *nibbles = group + (has_min ? 32 : 16);
    uint8_t *qs = block + (has_min ? 4 : 2);
    for (int j = 0; j < 16; j++) qs[j] = nibbles[q4r_nibble_offset(i, j)];
}

void tern_q4r_dequantize_row(int format, const void *weights, int64_t rows, int64_t columns, int64_t row,
                             float *destination) {
    if (!tern_is_q4r(format) || row < 0 || row >= rows) return;
    const int has_min = format == TERN_Q4_1R;
    uint8_t block[sizeof(tern_block_q4_1)];
    for (int64_t b = 0; b < columns / 32; b++) {
        q4r_read_block(has_min, weights, rows, columns / 32, row, b, block);
        tern_portable_dequantize_row(tern_q4r_base(format), block, destination + 32 * b, 32);
    }
}

// The x86 kernels' order (x86_tiles_q4i.h): exact integer block sums, then per
// block acc = fma(dx * dy, sumi, acc) and mins = mins + m * s; acc + mins.
static float q4r_dot(int has_min, const uint8_t *weights, int64_t rows, int64_t blocks, int64_t r,
                     const tern_act_block *y) {
    uint8_t block[sizeof(tern_block_q4_1)];
    float acc = 0.0f, mins = 0.0f;
    for (int64_t b = 0; b < blocks; b++) {
        q4r_read_block(has_min, weights, rows, blocks, r, b, block);
        const float dx = tern_half_to_float(tern_load_u16(block));
        const float m = has_min ? tern_half_to_float(tern_load_u16(block + 2)) : dx;
        const uint8_t *qs = block + (has_min ? 4 : 2);
        int sumi = 0;
        for (int j = 0; j < 16; j++) sumi += (qs[j] & 0x0f) * y[b].qs[j] + (qs[j] >> 4) * y[b].qs[j + 16];
        acc = fmaf(dx * y[b].d, (float)sumi, acc);
        mins = mins + m * y[b].s;
    }
    return acc + mins;
}

void tern_q4r_portable_multiply_rows(int format, const void *weights, int64_t rows, int64_t columns,
                                     int64_t row_begin, int64_t row_end, const void *activations, int64_t batch,
                                     float *output) {
    const int has_min = format == TERN_Q4_1R;
    const int64_t blocks = columns / 32;
    for (int64_t r = row_begin; r < row_end; r++)
        for (int64_t b = 0; b < batch; b++)
            output[b * rows + r] = q4r_dot(has_min, weights, rows, blocks, r, (const tern_act_block *)activations + b * blocks);
}

// Rows of one group back in q4 layout (`n` rows of `row_bytes`).
static void q4r_unpack_rows(int has_min, const uint8_t *weights, int64_t rows, int64_t blocks, int64_t first, int n,
                            uint8_t *out) {
    const size_t stride = q4_block_bytes(has_min);
    for (int i = 0; i < n; i++)
        for (int64_t b = 0; b < blocks; b++)
            q4r_read_block(has_min, weights, rows, blocks, first + i, b, out + ((size_t)i * (size_t)blocks + (size_t)b) * stride);
}

// f32 activations: each group's rows go back to q4 layout in scratch and through
// `k`'s q4 rows, so results are bit for bit those of the q4 matrix.
void tern_q4r_multiply_rows_float(const tern_kernels *k, int format, const void *weights, int64_t rows,
                                  int64_t columns, int64_t row_begin, int64_t row_end, const float *input,
                                  int64_t batch, float *output) {
    enum { SCRATCH = 40 * 1024 };
    const int has_min = format == TERN_Q4_1R, base = tern_q4r_base(format);
    const int64_t blocks = columns / 32, grouped = rows / TERN_Q4R_ROWS * TERN_Q4R_ROWS;
    const size_t row_bytes = tern_row_bytes(base, columns);
    if (row_end > grouped) {  // rows past the groups are q4 rows where q4 has them
        const int64_t begin = row_begin > grouped ? row_begin : grouped;
        k->multiply_rows_float(k, base, weights, rows, columns, begin, row_end, input, batch, output);
        row_end = row_begin > grouped ? row_begin : grouped;
    }
    if (row_begin >= row_end || row_bytes == 0) return;
    uint8_t stack[SCRATCH];
    const int64_t fit = SCRATCH / (int64_t)row_bytes;
    const int64_t per = fit >= TERN_Q4R_ROWS ? TERN_Q4R_ROWS : fit > 0 ? fit : 1;
    uint8_t *scratch = fit > 0 ? stack : malloc(row_bytes);
    if (scratch == NULL) return;
    for (int64_t r = row_begin; r < row_end; r += per) {
        const int n = (int)(row_end - r < per ? row_end - r : per);
        q4r_unpack_rows(has_min, weights, rows, blocks, r, n, scratch);
        // Row i of scratch lands at output[b * rows + r + i].
        k->multiply_rows_float(k, base, scratch, rows, columns, 0, n, input, batch, output + r);
    }
    if (scratch != stack) free(scratch);
}
