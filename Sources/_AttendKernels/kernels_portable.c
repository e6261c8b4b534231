// The family compiled with no CPU-specific code: 4-lane vectors (SSE2 on x86-64, NEON on arm64).
// Runs everywhere; the SIMD instances' counterpart with the same schedule.
#include "attend_kernels.h"

// No contraction of a·b + c into a fused multiply-add behind the vocabulary's back (the
// dequantizers' bits must be the same on every path).
#pragma STDC FP_CONTRACT OFF

#include "vocabulary/vf_portable.h"

// 16 vector registers on x86-64 SSE: 2·6 accumulators, two query vectors and a broadcast.
#define ATTENTION_TILE_ROWS 6
#define ATTENTION_QUERY_BLOCK 32
#define ATTENTION_KEY_BLOCK 128

#define KERNEL_ISA ATTEND_ISA_PORTABLE
#define KERNEL_NAME "portable"
#define KERNEL_TABLE attend_kernels_portable
#include "family/all.h"
