// AVX2 + FMA + F16C kernels (Haswell, Zen 1 and later): the body is x86_body.h.
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#define TERN_FN(name) tern_avx2_##name
// maddubs: 16 int16 sums of two u8*s8 products. It saturates, but our operands
// (nibbles, or |int8| <= 128, times prepared int8 in -127...127) stay below
// 2 * 128 * 127 = 32512. madd with ones then adds pairs into 8 int32.
#define TERN_DOT_U8S8(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1))
#include "x86_body.h"

#pragma clang attribute pop

#endif
