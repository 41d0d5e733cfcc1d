// FP4 microscaling formats, as ggml stores them (ggml-common.h, ggml-impl.h):
//
//   mxfp4 (17 bytes per 32 values): e, an E8M0 exponent, then 16 bytes of codes;
//     value j < 16 is byte j's low nibble, value j + 16 its high nibble.
//   nvfp4 (36 bytes per 64 values): d[4], one UE4M3 scale per 16 values, then 32
//     bytes of codes; sub-block s uses bytes 8s...8s+7, value 16s + j (j < 8) is
//     byte 8s + j's low nibble and value 16s + 8 + j its high nibble.
//
// A code is an E2M1 float: sign, 2 exponent bits, 1 mantissa bit, so the 16
// codes are ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}. ggml keeps them doubled, as the
// integers in tern_fp4_values, and halves the block scales instead, so
// value = tern_fp4_values[code] * (scale / 2). Dot products can then run on
// int8: the doubled values fit in -12...12.
//
// Internal header: included by fp4_portable.c, x86_fp4.h and arm_fp4.h.
#ifndef TERN_FP4_H
#define TERN_FP4_H

#include "internal.h"

static const int8_t tern_fp4_values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// Half the E8M0 scale 2^(e - 127), i.e. 2^(e - 128), by table, four times
// over so SIMD code loads it as a vector: e < 2 gives f32 subnormals; e = 255
// (NaN in the OCP spec) reads as 2^127, as in ggml. A union, so the entries are
// written as bits and read as f32.
typedef union { uint32_t bits[4]; float value[4]; } tern_e8m0_entry;
#define TERN_E8M0_BITS(e) ((e) < 2 ? 0x00200000u << ((e) & 1) : (uint32_t)((e) - 1) << 23)
#define TERN_E8M0_HALF(e) {{TERN_E8M0_BITS(e), TERN_E8M0_BITS(e), TERN_E8M0_BITS(e), TERN_E8M0_BITS(e)}}
#define TERN_E8M0_HALF4(e) TERN_E8M0_HALF(e), TERN_E8M0_HALF(e + 1), TERN_E8M0_HALF(e + 2), TERN_E8M0_HALF(e + 3)
#define TERN_E8M0_HALF16(e) TERN_E8M0_HALF4(e), TERN_E8M0_HALF4(e + 4), TERN_E8M0_HALF4(e + 8), TERN_E8M0_HALF4(e + 12)
#define TERN_E8M0_HALF64(e) TERN_E8M0_HALF16(e), TERN_E8M0_HALF16(e + 16), TERN_E8M0_HALF16(e + 32), TERN_E8M0_HALF16(e + 48)
static const tern_e8m0_entry tern_e8m0_half_table[256] = {
    TERN_E8M0_HALF64(0), TERN_E8M0_HALF64(64), TERN_E8M0_HALF64(128), TERN_E8M0_HALF64(192),
};

static inline float tern_e8m0_half(uint8_t e) { return tern_e8m0_half_table[e].value[0]; }

// Half the UE4M3 scale x (4 exponent bits, bias 7, 3 mantissa bits) as ggml
// reads it, by table, twice over so SIMD code loads pairs: 0x7f (NaN) is 0,
// and the unused top bit is ignored except that 0xff, unlike 0x7f, reads as
// 240. Subnormals (exponent 0) are m * 2^-10 after halving; as f32 bits that
// is the exponent of m's top bit and the bits below it.
typedef union { uint32_t bits[2]; float value[2]; } tern_ue4m3_entry;
#define TERN_UE4M3_TOP(m) ((m) >= 4 ? 2 : (m) >= 2 ? 1 : 0)
#define TERN_UE4M3_SUB(m) ((m) == 0 ? 0u : (uint32_t)(117 + TERN_UE4M3_TOP(m)) << 23 | (uint32_t)((m) - (1 << TERN_UE4M3_TOP(m))) << (23 - TERN_UE4M3_TOP(m)))
#define TERN_UE4M3_BITS(x) ((x) == 0x7f ? 0u : ((x) >> 3 & 15) == 0 ? TERN_UE4M3_SUB((x) & 7) : (uint32_t)(((x) >> 3 & 15) + 119) << 23 | (uint32_t)((x) & 7) << 20)
#define TERN_UE4M3_HALF(x) {{TERN_UE4M3_BITS(x), TERN_UE4M3_BITS(x)}}
#define TERN_UE4M3_HALF4(x) TERN_UE4M3_HALF(x), TERN_UE4M3_HALF(x + 1), TERN_UE4M3_HALF(x + 2), TERN_UE4M3_HALF(x + 3)
#define TERN_UE4M3_HALF16(x) TERN_UE4M3_HALF4(x), TERN_UE4M3_HALF4(x + 4), TERN_UE4M3_HALF4(x + 8), TERN_UE4M3_HALF4(x + 12)
#define TERN_UE4M3_HALF64(x) TERN_UE4M3_HALF16(x), TERN_UE4M3_HALF16(x + 16), TERN_UE4M3_HALF16(x + 32), TERN_UE4M3_HALF16(x + 48)
static const tern_ue4m3_entry tern_ue4m3_half_table[256] = {
    TERN_UE4M3_HALF64(0), TERN_UE4M3_HALF64(64), TERN_UE4M3_HALF64(128), TERN_UE4M3_HALF64(192),
};

static inline float tern_ue4m3_half(uint8_t x) { return tern_ue4m3_half_table[x].value[0]; }

// The second copy of prepared mxfp4 activations, after the `blocks` prepared
// blocks: one entry per two blocks, the last padded with zeros when `blocks`
// is odd. x86 unpacks two weight blocks' low nibbles into one vector and their
// high nibbles into another, and these are the activations in that order,
// with each block's dy and s / 4 for the four int32 lanes its products land in.
typedef struct {
    int8_t low[32];   // values 0...15 of block 2p, then of block 2p + 1
    int8_t high[32];  // values 16...31 likewise
    float d[8];       // dy of block 2p four times, then of block 2p + 1
    float s[8];       // the blocks' prepared s / 4 likewise
} tern_mxfp4_pair;
_Static_assert(sizeof(tern_mxfp4_pair) == 128, "mxfp4 pair entries are two cache lines");

static inline const tern_mxfp4_pair *tern_mxfp4_pairs(const tern_act_block *y, int64_t blocks) {
    return (const tern_mxfp4_pair *)(const void *)(y + blocks);
}

// The second copy of prepared nvfp4 activations: one entry per 64 values (two
// prepared blocks). x86 unpacks a block's 32 code bytes into one vector of low
// nibbles, values 0...7 of each 16, and one of high nibbles, values 8...15.
typedef struct {
    int8_t low[32];   // values 16s + j, j < 8, for sub-blocks s = 0...3
    int8_t high[32];  // values 16s + 8 + j likewise
    float d[8];       // dy of the first prepared block four times, then of the second
} tern_nvfp4_group;
_Static_assert(sizeof(tern_nvfp4_group) == 96, "nvfp4 group entries are 96 bytes");

static inline const tern_nvfp4_group *tern_nvfp4_groups(const tern_act_block *y, int64_t blocks) {
    return (const tern_nvfp4_group *)(const void *)(y + blocks);
}

#endif
