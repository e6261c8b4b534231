#include "attend_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

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

// exp(v) for 8 lanes: n = round(v·log2e) by the 1.5·2^23 trick, r = v − n·ln2 (two-part ln2),
// e^r by the Cephes degree-6 polynomial, 2^n from the exponent bits; v < −87.33 → 0.
__attribute__((target("avx2,fma")))
static inline __m256 exp8(__m256 v) {
    const __m256 lower = _mm256_set1_ps(-87.33f);
    __m256 underflow = _mm256_cmp_ps(v, lower, _CMP_LT_OQ);
    v = _mm256_max_ps(v, lower);
    v = _mm256_min_ps(v, _mm256_set1_ps(88.0f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 t = _mm256_fmadd_ps(v, _mm256_set1_ps(1.44269504f), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), v);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
    __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(underflow, result);
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
