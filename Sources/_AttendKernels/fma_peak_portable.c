// Portable peak loop (see include/attend_fma_peak.h): what code without AVX/FMA can do — on
// x86-64 the SSE2 baseline, one 4-lane multiply and one add per step (counted as 2 flops per
// lane, as an FMA is), 12 chains to cover the multiply + add latency.
#include "attend_fma_peak.h"

#if defined(__x86_64__)
double attend_fma_peak_portable(long iterations, float *result) {
    const float m = ATTEND_FMA_PEAK_M, a = ATTEND_FMA_PEAK_A, start = ATTEND_FMA_PEAK_START;
    float out[4];
    long n = ATTEND_FMA_PEAK_STEPS(iterations);
    __asm__ volatile(
        "movss %[m], %%xmm12\n\t"  "shufps $0, %%xmm12, %%xmm12\n\t"
        "movss %[a], %%xmm13\n\t"  "shufps $0, %%xmm13, %%xmm13\n\t"
        "movss %[s], %%xmm0\n\t"   "shufps $0, %%xmm0, %%xmm0\n\t"
        "movaps %%xmm0, %%xmm1\n\t"  "movaps %%xmm0, %%xmm2\n\t"  "movaps %%xmm0, %%xmm3\n\t"
        "movaps %%xmm0, %%xmm4\n\t"  "movaps %%xmm0, %%xmm5\n\t"  "movaps %%xmm0, %%xmm6\n\t"
        "movaps %%xmm0, %%xmm7\n\t"  "movaps %%xmm0, %%xmm8\n\t"  "movaps %%xmm0, %%xmm9\n\t"
        "movaps %%xmm0, %%xmm10\n\t" "movaps %%xmm0, %%xmm11\n\t"
        "1:\n\t"
        "mulps %%xmm12, %%xmm0\n\t"  "addps %%xmm13, %%xmm0\n\t"
        "mulps %%xmm12, %%xmm1\n\t"  "addps %%xmm13, %%xmm1\n\t"
        "mulps %%xmm12, %%xmm2\n\t"  "addps %%xmm13, %%xmm2\n\t"
        "mulps %%xmm12, %%xmm3\n\t"  "addps %%xmm13, %%xmm3\n\t"
        "mulps %%xmm12, %%xmm4\n\t"  "addps %%xmm13, %%xmm4\n\t"
        "mulps %%xmm12, %%xmm5\n\t"  "addps %%xmm13, %%xmm5\n\t"
        "mulps %%xmm12, %%xmm6\n\t"  "addps %%xmm13, %%xmm6\n\t"
        "mulps %%xmm12, %%xmm7\n\t"  "addps %%xmm13, %%xmm7\n\t"
        "mulps %%xmm12, %%xmm8\n\t"  "addps %%xmm13, %%xmm8\n\t"
        "mulps %%xmm12, %%xmm9\n\t"  "addps %%xmm13, %%xmm9\n\t"
        "mulps %%xmm12, %%xmm10\n\t" "addps %%xmm13, %%xmm10\n\t"
        "mulps %%xmm12, %%xmm11\n\t" "addps %%xmm13, %%xmm11\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "addps %%xmm1, %%xmm0\n\t"   "addps %%xmm3, %%xmm2\n\t"   "addps %%xmm5, %%xmm4\n\t"
        "addps %%xmm7, %%xmm6\n\t"   "addps %%xmm9, %%xmm8\n\t"   "addps %%xmm11, %%xmm10\n\t"
        "addps %%xmm2, %%xmm0\n\t"   "addps %%xmm6, %%xmm4\n\t"   "addps %%xmm10, %%xmm8\n\t"
        "addps %%xmm4, %%xmm0\n\t"   "addps %%xmm8, %%xmm0\n\t"
        "movups %%xmm0, %[out]\n\t"
        : [n] "+r"(n), [out] "=m"(out)
        : [m] "m"(m), [a] "m"(a), [s] "m"(start)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
    *result = out[0];
    return ATTEND_FMA_PEAK_FLOPS(ATTEND_FMA_PEAK_STEPS(iterations), 12, 4);
}
#else
typedef float attend_f32x4 __attribute__((vector_size(16)));

double attend_fma_peak_portable(long iterations, float *result) {
    const attend_f32x4 m = {ATTEND_FMA_PEAK_M, ATTEND_FMA_PEAK_M, ATTEND_FMA_PEAK_M, ATTEND_FMA_PEAK_M},
                       a = {ATTEND_FMA_PEAK_A, ATTEND_FMA_PEAK_A, ATTEND_FMA_PEAK_A, ATTEND_FMA_PEAK_A};
    const attend_f32x4 start = {ATTEND_FMA_PEAK_START, ATTEND_FMA_PEAK_START, ATTEND_FMA_PEAK_START,
                                ATTEND_FMA_PEAK_START};
    attend_f32x4 acc[12];
    for (int j = 0; j < 12; j++) acc[j] = start;
    long n = ATTEND_FMA_PEAK_STEPS(iterations);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < 12; j++) acc[j] = acc[j] * m + a;
    }
    attend_f32x4 total = acc[0];
    for (int j = 1; j < 12; j++) total += acc[j];
    *result = total[0];
    return ATTEND_FMA_PEAK_FLOPS(n, 12, 4);
}
#endif
