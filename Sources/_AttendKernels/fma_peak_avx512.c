// AVX-512F peak loop (see include/attend_fma_peak.h). 16 independent chains hide the FMA
// latency (4 cycles) at two 512-bit FMAs per cycle (Xeon with two FMA units): 16 ≥ 2 × 4 × 2.
// On parts with one 512-bit FMA unit the same loop measures that unit's rate, which is the point.
#include "attend_fma_peak.h"

#if defined(__x86_64__)
__attribute__((target("avx512f")))
double attend_fma_peak_avx512(long iterations, float *result) {
    const float m = ATTEND_FMA_PEAK_M, a = ATTEND_FMA_PEAK_A, start = ATTEND_FMA_PEAK_START;
    float out[16];
    long n = ATTEND_FMA_PEAK_STEPS(iterations);
    __asm__ volatile(
        "vbroadcastss %[m], %%zmm16\n\t"
        "vbroadcastss %[a], %%zmm17\n\t"
        "vbroadcastss %[s], %%zmm0\n\t"
        "vmovaps %%zmm0, %%zmm1\n\t"  "vmovaps %%zmm0, %%zmm2\n\t"  "vmovaps %%zmm0, %%zmm3\n\t"
        "vmovaps %%zmm0, %%zmm4\n\t"  "vmovaps %%zmm0, %%zmm5\n\t"  "vmovaps %%zmm0, %%zmm6\n\t"
        "vmovaps %%zmm0, %%zmm7\n\t"  "vmovaps %%zmm0, %%zmm8\n\t"  "vmovaps %%zmm0, %%zmm9\n\t"
        "vmovaps %%zmm0, %%zmm10\n\t" "vmovaps %%zmm0, %%zmm11\n\t" "vmovaps %%zmm0, %%zmm12\n\t"
        "vmovaps %%zmm0, %%zmm13\n\t" "vmovaps %%zmm0, %%zmm14\n\t" "vmovaps %%zmm0, %%zmm15\n\t"
        "1:\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm0\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm1\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm2\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm3\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm4\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm5\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm6\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm7\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm8\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm9\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm10\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm11\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm12\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm13\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm14\n\t"
        "vfmadd213ps %%zmm17, %%zmm16, %%zmm15\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "vaddps %%zmm1, %%zmm0, %%zmm0\n\t"    "vaddps %%zmm3, %%zmm2, %%zmm2\n\t"
        "vaddps %%zmm5, %%zmm4, %%zmm4\n\t"    "vaddps %%zmm7, %%zmm6, %%zmm6\n\t"
        "vaddps %%zmm9, %%zmm8, %%zmm8\n\t"    "vaddps %%zmm11, %%zmm10, %%zmm10\n\t"
        "vaddps %%zmm13, %%zmm12, %%zmm12\n\t" "vaddps %%zmm15, %%zmm14, %%zmm14\n\t"
        "vaddps %%zmm2, %%zmm0, %%zmm0\n\t"    "vaddps %%zmm6, %%zmm4, %%zmm4\n\t"
        "vaddps %%zmm10, %%zmm8, %%zmm8\n\t"   "vaddps %%zmm14, %%zmm12, %%zmm12\n\t"
        "vaddps %%zmm4, %%zmm0, %%zmm0\n\t"    "vaddps %%zmm12, %%zmm8, %%zmm8\n\t"
        "vaddps %%zmm8, %%zmm0, %%zmm0\n\t"
        "vmovups %%zmm0, %[out]\n\t"
        "vzeroupper\n\t"
        : [n] "+r"(n), [out] "=m"(out)
        : [m] "m"(m), [a] "m"(a), [s] "m"(start)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "cc");
    *result = out[0];
    return ATTEND_FMA_PEAK_FLOPS(ATTEND_FMA_PEAK_STEPS(iterations), 16, 16);
}
#else
double attend_fma_peak_avx512(long iterations, float *result) { (void)iterations; *result = 0; return 0; }
#endif
