// The family compiled for AVX2 + FMA (8 lanes) by a per-function target attribute over the whole
// instance: no compiler flags, and nothing here runs unless KernelPath found AVX2 + FMA enabled.
#include "attend_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#include "vocabulary/vf_avx2.h"

// 16 YMM registers: 2·6 accumulators, two query vectors and a broadcast. A 128-key block keeps the
// Sᵀ scratch (128 × 32 floats, 16 KB) in L1. Measured on AMD EPYC Zen 3 (README, "Attention kernels").
#define ATTENTION_TILE_ROWS 6
#define ATTENTION_QUERY_BLOCK 32
#define ATTENTION_KEY_BLOCK 128

#define KERNEL_ISA ATTEND_ISA_AVX2
#define KERNEL_NAME "avx2"
#define KERNEL_TABLE attend_kernels_avx2
#include "family/all.h"

#pragma clang attribute pop
#endif
