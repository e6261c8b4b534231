// Vector kernels for the attention hot loop, compiled for AVX2 + FMA with per-function target
// attributes (no package-wide flags) and used only after a runtime CPU check. The portable path
// lives in Swift (Sources/Attend/Kernels/VectorExp.swift) and computes the same function.
#ifndef ATTEND_KERNELS_H
#define ATTEND_KERNELS_H

#include <stdbool.h>

/// True when the CPU supports AVX2 and FMA (checked once by the caller).
bool attend_cpu_has_avx2_fma(void);

/// max of x[0..<count] (−∞ when empty). Requires AVX2 + FMA.
float attend_row_max_avx2(const float *x, long count);

/// In place x[i] ← exp(x[i] − shift); returns Σ exp(x[i] − shift). Same algorithm and accuracy
/// as the Swift `vectorExp` (Cephes expf polynomial, ≤ 2 ulp; inputs below −87.33 give 0).
/// Requires AVX2 + FMA.
float attend_exp_shift_sum_avx2(float *x, long count, float shift);

#endif
