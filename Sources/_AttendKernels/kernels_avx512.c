// The family compiled for AVX-512 F/BW/DQ/VL (16 lanes, opmask tails, vscalefps in exp) by a
// per-function target attribute over the whole instance: no compiler flags, and nothing here runs
// unless KernelPath found AVX-512 with the OS's ZMM state enabled.
#include "attend_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl"))), apply_to = function)

#include "vocabulary/vf_avx512.h"

// 32 ZMM registers: 2·12 accumulators (12 keys × 32 queries), two query vectors and a broadcast.
// One 32-query tile per block, so a block's Sᵀ scratch stays 128 × 32 floats (16 KB) as on AVX2.
// The Dk/key loops are not unrolled further: at 12 rows a 4× unroll spills accumulators (64 ZMM
// stores per 96 FMAs, clang 17 disassembly). Chosen from the register count and the compiled
// code: not yet timed on an AVX-512 machine.
#define ATTENTION_TILE_ROWS 12
#define ATTENTION_UNROLL 1
#define ATTENTION_QUERY_BLOCK 32
#define ATTENTION_KEY_BLOCK 128

#define KERNEL_ISA ATTEND_ISA_AVX512
#define KERNEL_NAME "avx512"
#define KERNEL_TABLE attend_kernels_avx512
#include "family/all.h"

#pragma clang attribute pop
#endif
