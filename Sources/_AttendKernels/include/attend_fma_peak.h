// FMA peak loops: the most floating-point work one core can do per second with each instruction
// set, for reporting achieved GFLOPS as a fraction of what the hardware can do. Each loop runs
// independent multiply-add chains on registers only (written in inline assembly, so the compiler's
// optimization level — SwiftPM builds C at -O0 in debug — cannot change what is measured).
// Each returns the number of floating-point operations it performed (a multiply-add counts as 2)
// and stores one lane of its final accumulator in *result (finite; it keeps the work observable).
// Callers time them (Sources/Attend/Kernels/FMAPeak.swift) and call each only after the CPU check.
#ifndef ATTEND_FMA_PEAK_H
#define ATTEND_FMA_PEAK_H

// The recurrence every loop runs on each lane, acc ← acc·M + A from acc = START: it converges to
// A / (1 − M) = 1, so it never overflows or reaches subnormals however long it runs. Each loop
// runs at least one iteration (ATTEND_FMA_PEAK_STEPS) and performs steps × chains × lanes × 2
// flops (ATTEND_FMA_PEAK_FLOPS; a multiply-add counts as 2).
#define ATTEND_FMA_PEAK_M 0.999f
#define ATTEND_FMA_PEAK_A 0.001f
#define ATTEND_FMA_PEAK_START 0.5f
#define ATTEND_FMA_PEAK_STEPS(iterations) ((iterations) > 0 ? (iterations) : 1)
#define ATTEND_FMA_PEAK_FLOPS(steps, chains, lanes) ((double)(steps) * (chains) * (lanes) * 2)

/// 16 chains of 16-lane `vfmadd213ps` on ZMM registers per iteration. Requires AVX-512F with the
/// OS's ZMM state enabled (attend_cpu_features.avx512f).
double attend_fma_peak_avx512(long iterations, float *result);

/// 12 chains of 8-lane `vfmadd213ps` on YMM registers per iteration. Requires AVX2 + FMA with the
/// OS's YMM state enabled (attend_cpu_features.avx2 && .fma).
double attend_fma_peak_avx2(long iterations, float *result);

/// The portable path: 12 chains of 4-lane multiply then add (SSE2 `mulps` + `addps` on x86-64,
/// where SSE2 is the baseline; plain C vectors elsewhere). Runs on every CPU.
double attend_fma_peak_portable(long iterations, float *result);

#endif
