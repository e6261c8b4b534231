// AVX2 + FMA peak loop (see include/attend_fma_peak.h). 12 independent chains hide the FMA
// latency (4–5 cycles) at two FMAs per cycle (Haswell … Zen 4): 12 ≥ 2 × 5.
#include "attend_fma_peak.h"

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
double attend_fma_peak_avx2(long iterations, float *result) {
    const float m = ATTEND_FMA_PEAK_M, a = ATTEND_FMA_PEAK_A, start = ATTEND_FMA_PEAK_START;
    float out[8];
    long n = ATTEND_FMA_PEAK_STEPS(iterations);
    __asm__ volatile(
        "vbroadcastss %[m], %%ymm12\n\t"
        "vbroadcastss %[a], %%ymm13\n\t"
        "vbroadcastss %[s], %%ymm0\n\t"
        "vmovaps %%ymm0, %%ymm1\n\t"  "vmovaps %%ymm0, %%ymm2\n\t"  "vmovaps %%ymm0, %%ymm3\n\t"
        "vmovaps %%ymm0, %%ymm4\n\t"  "vmovaps %%ymm0, %%ymm5\n\t"  "vmovaps %%ymm0, %%ymm6\n\t"
        "vmovaps %%ymm0, %%ymm7\n\t"  "vmovaps %%ymm0, %%ymm8\n\t"  "vmovaps %%ymm0, %%ymm9\n\t"
        "vmovaps %%ymm0, %%ymm10\n\t" "vmovaps %%ymm0, %%ymm11\n\t"
        "1:\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm0\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm1\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm2\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm3\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm4\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm5\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm6\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm7\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm8\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm9\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm10\n\t"
        "vfmadd213ps %%ymm13, %%ymm12, %%ymm11\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        // Fold the chains so every one of them is live until the end.
        "vaddps %%ymm1, %%ymm0, %%ymm0\n\t"   "vaddps %%ymm3, %%ymm2, %%ymm2\n\t"
        "vaddps %%ymm5, %%ymm4, %%ymm4\n\t"   "vaddps %%ymm7, %%ymm6, %%ymm6\n\t"
        "vaddps %%ymm9, %%ymm8, %%ymm8\n\t"   "vaddps %%ymm11, %%ymm10, %%ymm10\n\t"
        "vaddps %%ymm2, %%ymm0, %%ymm0\n\t"   "vaddps %%ymm6, %%ymm4, %%ymm4\n\t"
        "vaddps %%ymm10, %%ymm8, %%ymm8\n\t"  "vaddps %%ymm4, %%ymm0, %%ymm0\n\t"
        "vaddps %%ymm8, %%ymm0, %%ymm0\n\t"
        "vmovups %%ymm0, %[out]\n\t"
        "vzeroupper\n\t"
        : [n] "+r"(n), [out] "=m"(out)
        : [m] "m"(m), [a] "m"(a), [s] "m"(start)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
    *result = out[0];
    return ATTEND_FMA_PEAK_FLOPS(ATTEND_FMA_PEAK_STEPS(iterations), 12, 8);
}
#else
double attend_fma_peak_avx2(long iterations, float *result) { (void)iterations; *result = 0; return 0; }
#endif
