// The vector vocabulary on AVX-512 (F, BW, DQ, VL): 16 float lanes in a ZMM register, opmask
// registers for lane masks and masked tails. Included by kernels_avx512.c inside its
// `target("avx512f,avx512bw,avx512dq,avx512vl,…")` region; called only after the CPU check, which
// requires the OS to save the opmask and ZMM state (XGETBV). Semantics: vocabulary.h.
#ifndef ATTEND_VF_AVX512_H
#define ATTEND_VF_AVX512_H

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define VF_LANES 16
#define VF_ALIGN 64
#define VF_INLINE static inline __attribute__((always_inline))

typedef __m512 vf;      // 16 floats
typedef __mmask16 vm;   // one bit per lane

VF_INLINE vf vf_zero(void) { return _mm512_setzero_ps(); }
VF_INLINE vf vf_set1(float x) { return _mm512_set1_ps(x); }
VF_INLINE vf vf_broadcast(const float *p) { return _mm512_set1_ps(*p); }
VF_INLINE vf vf_load(const float *p) { return _mm512_load_ps(p); }
VF_INLINE vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
VF_INLINE void vf_store(float *p, vf x) { _mm512_store_ps(p, x); }
VF_INLINE void vf_storeu(float *p, vf x) { _mm512_storeu_ps(p, x); }

/// Lanes < n (n ≤ 0: none; n ≥ 16: all). Masked-off lanes are neither read nor written.
VF_INLINE vm vf_tail_mask(long n) { return n <= 0 ? 0 : n >= 16 ? (vm)0xFFFF : (vm)((1u << n) - 1); }
VF_INLINE vf vf_load_n(const float *p, long n) { return _mm512_maskz_loadu_ps(vf_tail_mask(n), p); }
VF_INLINE void vf_store_n(float *p, vf x, long n) { _mm512_mask_storeu_ps(p, vf_tail_mask(n), x); }

VF_INLINE vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
VF_INLINE vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
VF_INLINE vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
VF_INLINE vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
VF_INLINE vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }

VF_INLINE vm vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
VF_INLINE vm vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
VF_INLINE vm vf_is_nan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
VF_INLINE vm vm_or(vm a, vm b) { return (vm)(a | b); }
VF_INLINE vm vm_none(void) { return 0; }
VF_INLINE bool vm_any(vm m) { return m != 0; }
VF_INLINE vf vf_select(vm m, vf yes, vf no) { return _mm512_mask_blend_ps(m, no, yes); }

/// 0, 1, …, 15.
VF_INLINE vf vf_iota(void) { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

/// (low 8 lanes + high 8 lanes), then the AVX2 order on those 8: halves, quarters, pairs.
VF_INLINE float vf_reduce_add(vf x) {
    __m256 lo = _mm512_castps512_ps256(x);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
    __m256 e = _mm256_add_ps(lo, hi);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(e), _mm256_extractf128_ps(e, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/// p·2ⁿ for integer-valued n by `vscalefps` (t unused). Exact, and equal to the other ISAs'
/// exponent-field addition, whenever p·2ⁿ is a normal float — all the exp bodies ask.
VF_INLINE vf vf_scale_pow2(vf p, vf t, vf n) {
    (void)t;
    return _mm512_scalef_ps(p, n);
}

/// Transposes the 16 × 16 block held as 16 row vectors in place (row r becomes column r): 4 × 4
/// blocks of 128-bit lanes are exchanged with shuffle_f32x4, then each 4 × 4 block of floats is
/// transposed with unpack/shuffle, as in the AVX2 8 × 8 form one level up.
VF_INLINE void vf_transpose(vf r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 4; h++) {
        __m512 *x = t + 4 * h, *y = u + 4 * h;
        y[0] = _mm512_shuffle_ps(x[0], x[2], _MM_SHUFFLE(1, 0, 1, 0));
        y[1] = _mm512_shuffle_ps(x[0], x[2], _MM_SHUFFLE(3, 2, 3, 2));
        y[2] = _mm512_shuffle_ps(x[1], x[3], _MM_SHUFFLE(1, 0, 1, 0));
        y[3] = _mm512_shuffle_ps(x[1], x[3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // u[4h + c] holds, in its 128-bit lane k, elements (rows 4h … 4h + 3, column 4k + c): gather
    // lane k of the four row groups into one vector per output row 4k + c.
    for (int c = 0; c < 4; c++) {
        __m512 a = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(2, 0, 2, 0));       // lanes 0,2 of g0, g1
        __m512 b = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 1, 3, 1));       // lanes 1,3 of g0, g1
        __m512 e = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(2, 0, 2, 0));  // lanes 0,2 of g2, g3
        __m512 f = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 1, 3, 1));  // lanes 1,3 of g2, g3
        r[c] = _mm512_shuffle_f32x4(a, e, _MM_SHUFFLE(2, 0, 2, 0));       // lane 0 of g0 … g3
        r[8 + c] = _mm512_shuffle_f32x4(a, e, _MM_SHUFFLE(3, 1, 3, 1));   // lane 2
        r[4 + c] = _mm512_shuffle_f32x4(b, f, _MM_SHUFFLE(2, 0, 2, 0));   // lane 1
        r[12 + c] = _mm512_shuffle_f32x4(b, f, _MM_SHUFFLE(3, 1, 3, 1));  // lane 3
    }
}

/// 16 consecutive int8 / uint8 as floats (exact).
VF_INLINE vf vf_from_i8(const int8_t *p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p))); }
VF_INLINE vf vf_from_u8(const uint8_t *p) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p))); }
/// The nibbles (p[j] >> shift) & 15 of 16 consecutive bytes as floats (shift 0: low, 4: high).
VF_INLINE vf vf_from_nibbles(const uint8_t *p, int shift) {
    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(v, shift), _mm512_set1_epi32(15)));
}
/// Five-bit values of 16 consecutive elements: nibble (p[j] >> shift) & 15 with bit j of `bits` as
/// bit 4.
VF_INLINE vf vf_from_nibbles_bit4(const uint8_t *p, int shift, uint32_t bits) {
    __m512i v = _mm512_and_si512(_mm512_srli_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)), shift),
                                 _mm512_set1_epi32(15));
    // The 16 bits are the opmask of an OR with 16.
    return _mm512_cvtepi32_ps(_mm512_mask_or_epi32(v, (__mmask16)bits, v, _mm512_set1_epi32(16)));
}

/// IEEE binary16 bits → float, exactly: one `vcvtph2ps` (F16C, which both x86 paths require).
VF_INLINE float vf_half_to_float(uint16_t h) { return _cvtsh_ss(h); }

#include "vf_x86.h"

#endif
