// AVX-512 VNNI kernels (Ice Lake, Zen 4 and later). Same body as AVX2 but one
// vpdpbusd replaces the maddubs + madd pair. Still 256-bit vectors: the dot
// products are bound by memory bandwidth, and 256-bit avoids frequency drops.
// TODO: 512-bit versions that process two blocks per instruction.
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)

#define TERN_FN(name) tern_avx512vnni_##name
#define TERN_DOT_U8S8(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (u), (s))
#define TERN_DOT2_U8S8(a, x, b, y) _mm256_dpbusd_epi32(TERN_DOT_U8S8((a), (x)), (b), (y))  // x86_fp4.h
#include "x86_body.h"

#pragma clang attribute pop

#endif
