// exp for 8 lanes with AVX2 + FMA, shared by the vector kernels (attend_kernels.c) and the fused
// attention micro-kernel (attention_avx2.c). Not part of the module's public headers.
#ifndef ATTEND_EXP_AVX2_H
#define ATTEND_EXP_AVX2_H
#include <immintrin.h>

// The reduction and polynomial both forms share: *t = v·log2e + 1.5·2^23 (its low mantissa bits
// hold n = round(v·log2e)), r = v − n·ln2 (two-part ln2); returns e^r by the Cephes degree-6
// polynomial.
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) __m256 exp8_reduced(__m256 v, __m256 *t_out) {
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
    *t_out = t;
    return p;
}

// exp(v) for 8 lanes: n = round(v·log2e) by the 1.5·2^23 trick, r = v − n·ln2 (two-part ln2),
// e^r by the Cephes degree-6 polynomial, 2^n from the exponent bits; v < −87.33 → 0.
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) __m256 exp8(__m256 v) {
    const __m256 lower = _mm256_set1_ps(-87.33f);
    __m256 underflow = _mm256_cmp_ps(v, lower, _CMP_LT_OQ);
    v = _mm256_max_ps(v, lower);
    v = _mm256_min_ps(v, _mm256_set1_ps(88.0f));
    __m256 t;
    __m256 p = exp8_reduced(v, &t);
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
    __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(underflow, result);
}

// exp(v) for v ≤ 0 or −∞ only (attention's shifted scores s − max), the same reduction and
// polynomial as exp8 (so the same ≤ 2 ulp) with two operations fewer: no upper clamp, and 2ⁿ
// applied by adding n to the exponent field of p instead of a multiply. That needs a normal
// result (p ∈ [0.7, 1.42], n ≥ −125), so inputs below −86.9 give exactly 0 (e^−86.9 ≈ 2·10⁻³⁸).
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) __m256 exp8_nonpositive(__m256 v) {
    const __m256 lower = _mm256_set1_ps(-86.9f);
    __m256 underflow = _mm256_cmp_ps(v, lower, _CMP_LT_OQ);
    v = _mm256_max_ps(v, lower);
    __m256 t;
    __m256 p = exp8_reduced(v, &t);
    __m256i scaled = _mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_castps_si256(t), 23));
    return _mm256_andnot_ps(underflow, _mm256_castsi256_ps(scaled));
}

#endif
