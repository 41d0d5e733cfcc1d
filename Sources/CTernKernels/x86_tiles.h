// Register tiles for batched products of quantized rows (prefill and batched
// decode). Part of x86_body.h (same macros, same target features); include
// nowhere else. Both kinds interleave eight rows per tile and sum each block's
// products exactly in integers: q4_0 / q4_1 in x86_tiles_q4i.h, q8_0 / q8_1 in
// x86_tiles_q8i.h.

// Prepared activations per pass over a row range: the vectors of one pass stay
// in L2 while the row tiles go by.
#define TERN_TILE_ACT_BYTES (128 * 1024)

#include "x86_tiles_q4i.h"
#include "x86_tiles_q8i.h"

// output[b * rows + r] for rows [r0, r1) and every vector (batch a multiple of
// 4), in register tiles. Returns 0 (and does nothing) for formats without tiles.
static int tiles_multiply(int format, const uint8_t *weights, size_t row_bytes, int64_t rows, int64_t columns,
                          int64_t r0, int64_t r1, const void *activations, size_t act_bytes, int64_t batch,
                          float *output) {
    const size_t y_stride = act_bytes / sizeof(tern_act_block);
    switch (format) {
    case TERN_Q4_0:
    case TERN_Q4_1:
        q4i_multiply(format == TERN_Q4_1, weights, row_bytes, rows, columns / 32, r0, r1, activations, y_stride, batch,
                     output);
        return 1;
    case TERN_Q8_0:
    case TERN_Q8_1:
        q8i_multiply(format, weights, row_bytes, rows, columns / 32, r0, r1, activations, y_stride, batch, output);
        return 1;
    default: return 0;
    }
}
