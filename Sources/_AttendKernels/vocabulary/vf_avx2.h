// The vector vocabulary on AVX2 + FMA: 8 float lanes in a YMM register. Included by
// kernels_avx2.c inside its `target("avx2,fma")` region, so every function here is compiled for
// AVX2 + FMA and called only after the CPU check (KernelPath). The operations and their exact
// semantics are listed once, in vocabulary.h; each ISA header implements all of them.
#ifndef ATTEND_VF_AVX2_H
#define ATTEND_VF_AVX2_H

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define VF_LANES 8
#define VF_ALIGN 32
#define VF_INLINE static inline __attribute__((always_inline))

typedef __m256 vf;  // 8 floats
typedef __m256 vm;  // a lane mask: all bits set where true

VF_INLINE vf vf_zero(void) { return _mm256_setzero_ps(); }
VF_INLINE vf vf_set1(float x) { return _mm256_set1_ps(x); }
VF_INLINE vf vf_broadcast(const float *p) { return _mm256_broadcast_ss(p); }
VF_INLINE vf vf_load(const float *p) { return _mm256_load_ps(p); }
VF_INLINE vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
VF_INLINE void vf_store(float *p, vf x) { _mm256_store_ps(p, x); }
VF_INLINE void vf_storeu(float *p, vf x) { _mm256_storeu_ps(p, x); }

/// Integer lanes < n set (n ≤ 0: none; n ≥ 8: all).
VF_INLINE __m256i vf_tail_bits(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
VF_INLINE vf vf_load_n(const float *p, long n) { return _mm256_maskload_ps(p, vf_tail_bits(n)); }
VF_INLINE void vf_store_n(float *p, vf x, long n) { _mm256_maskstore_ps(p, vf_tail_bits(n), x); }

VF_INLINE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
VF_INLINE vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
VF_INLINE vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
VF_INLINE vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
VF_INLINE vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }

VF_INLINE vm vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
VF_INLINE vm vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
VF_INLINE vm vf_is_nan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
VF_INLINE vm vm_or(vm a, vm b) { return _mm256_or_ps(a, b); }
VF_INLINE vm vm_none(void) { return _mm256_setzero_ps(); }
VF_INLINE bool vm_any(vm m) { return !_mm256_testz_ps(m, m); }
VF_INLINE vf vf_select(vm m, vf yes, vf no) { return _mm256_blendv_ps(no, yes, m); }

/// 0, 1, …, 7.
VF_INLINE vf vf_iota(void) { return _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7); }

/// ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)): halves, then quarters, then pairs.
VF_INLINE float vf_reduce_add(vf x) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/// p·2ⁿ for integer-valued n, given t whose low mantissa bits hold n (t = n + 1.5·2²³): adds n to
/// p's exponent field. Exact when p·2ⁿ is a normal float, which is all the exp bodies ask.
VF_INLINE vf vf_scale_pow2(vf p, vf t, vf n) {
    (void)n;
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), _mm256_slli_epi32(_mm256_castps_si256(t), 23)));
}

/// Transposes the 8 × 8 block held as 8 row vectors in place (row r becomes column r).
VF_INLINE void vf_transpose(vf r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        __m256 *x = t + 4 * h, *y = u + 4 * h;
        y[0] = _mm256_shuffle_ps(x[0], x[2], _MM_SHUFFLE(1, 0, 1, 0));
        y[1] = _mm256_shuffle_ps(x[0], x[2], _MM_SHUFFLE(3, 2, 3, 2));
        y[2] = _mm256_shuffle_ps(x[1], x[3], _MM_SHUFFLE(1, 0, 1, 0));
        y[3] = _mm256_shuffle_ps(x[1], x[3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/// 8 consecutive int8 / uint8 as floats (exact).
VF_INLINE vf vf_from_i8(const int8_t *p) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p))); }
VF_INLINE vf vf_from_u8(const uint8_t *p) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p))); }
/// The nibbles (p[j] >> shift) & 15 of 8 consecutive bytes as floats (shift 0: low, 4: high).
VF_INLINE vf vf_from_nibbles(const uint8_t *p, int shift) {
    __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(v, shift), _mm256_set1_epi32(15)));
}
/// Five-bit values of 8 consecutive elements: nibble (p[j] >> shift) & 15 with bit j of `bits` as
/// bit 4.
VF_INLINE vf vf_from_nibbles_bit4(const uint8_t *p, int shift, uint32_t bits) {
    __m256i v = _mm256_and_si256(_mm256_srli_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)), shift),
                                 _mm256_set1_epi32(15));
    // Lane j's bit of `bits` selects 16: (bits & 2^j) == 2^j.
    __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), lane_bit), lane_bit);
    return _mm256_cvtepi32_ps(_mm256_or_si256(v, _mm256_and_si256(set, _mm256_set1_epi32(16))));
}

/// IEEE binary16 bits → float, exactly: one `vcvtph2ps` (F16C, which both x86 paths require).
VF_INLINE float vf_half_to_float(uint16_t h) { return _cvtsh_ss(h); }

#include "vf_x86.h"

#endif
