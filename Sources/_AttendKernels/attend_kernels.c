#include "attend_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "exp_avx2.h"

bool attend_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
float attend_row_max_avx2(const float *x, long count) {
    __m256 best = _mm256_set1_ps(-__builtin_inff());
    long i = 0;
    for (; i + 8 <= count; i += 8) best = _mm256_max_ps(best, _mm256_loadu_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, best);
    float m = lanes[0];
    for (int j = 1; j < 8; j++) m = lanes[j] > m ? lanes[j] : m;
    for (; i < count; i++) m = x[i] > m ? x[i] : m;
    return m;
}

__attribute__((target("avx2,fma")))
float attend_exp_shift_sum_avx2(float *x, long count, float shift) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 total = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(x + i, e);
        total = _mm256_add_ps(total, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    if (i < count) {
        // Tail through the same vector code on a padded copy, so every element sees one formula.
        float tail[8] = {0};
        long rest = count - i;
        for (long j = 0; j < rest; j++) tail[j] = x[i + j];
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(tail), s));
        _mm256_storeu_ps(tail, e);
        for (long j = 0; j < rest; j++) { x[i + j] = tail[j]; sum += tail[j]; }
    }
    return sum;
}

#else
bool attend_cpu_has_avx2_fma(void) { return false; }
float attend_row_max_avx2(const float *x, long count) { (void)x; (void)count; return 0; }
float attend_exp_shift_sum_avx2(float *x, long count, float shift) { (void)x; (void)count; (void)shift; return 0; }
#endif
