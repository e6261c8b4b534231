// What this CPU can run, read from CPUID and (for the AVX and AVX-512 register state) XGETBV,
// so a feature counts only when the operating system also saves its registers on a context
// switch. Used to choose OpenBLAS's kernels and Attend's own paths (Sources/Attend/Kernels/
// CPUFeatures.swift is the Swift view).
#ifndef ATTEND_CPU_FEATURES_H
#define ATTEND_CPU_FEATURES_H

#include <stdbool.h>

/// The CPU as CPUID describes it. On a non-x86 CPU every flag is false and the strings are empty.
typedef struct attend_cpu_features {
    /// "GenuineIntel", "AuthenticAMD", … (NUL-terminated).
    char vendor[13];
    /// The processor brand string, leading spaces removed (NUL-terminated; empty when absent).
    char brand[49];
    /// Display family and model (base + extended fields, as Intel and AMD define them), stepping.
    unsigned family, model, stepping;
    bool sse2, sse3, ssse3, sse41, sse42;
    /// AVX, AVX2, FMA: the instructions exist *and* the OS saves the YMM state (XCR0 bits 1–2).
    bool avx, avx2, fma, f16c;
    /// AVX-512 subsets: the instructions exist *and* the OS saves opmask and ZMM state
    /// (XCR0 bits 5–7 as well).
    bool avx512f, avx512cd, avx512bw, avx512dq, avx512vl;
} attend_cpu_features;

/// Fills `features` from CPUID and XGETBV (cheap; callers cache it).
void attend_cpu_features_detect(attend_cpu_features *features);

#endif
