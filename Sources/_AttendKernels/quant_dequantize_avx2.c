// AVX2 dequantization of GGUF blocks (see attend_quant_dequantize.h): per block, the bytes are
// widened to 4 × 8 int32 lanes, converted to float and scaled — one block is four 256-bit stores.
// Compiled with per-function target attributes and called only after a runtime CPU check.
#include "attend_quant_dequantize.h"
#include "half_block.h"
#include "attend_quant_matvec.h"

// Separate multiply and add (never fused), as in the portable path: the same bits.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// The scale and minimum go through the same exact scalar conversion as the portable path (F16C's
// conversion quiets signalling NaNs, which would change those bits).

/// The 32 nibbles of 16 bytes as four vectors of int32 q: elements 0–7, 8–15 (low nibbles),
/// 16–23, 24–31 (high nibbles).
__attribute__((target("avx2")))
static inline void nibbles(const uint8_t *bytes, __m256i q[4]) {
    __m128i raw = _mm_loadu_si128((const __m128i *)bytes);
    __m128i mask = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(raw, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    q[0] = _mm256_cvtepu8_epi32(lo);
    q[1] = _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8));
    q[2] = _mm256_cvtepu8_epi32(hi);
    q[3] = _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8));
}

__attribute__((target("avx2")))
void attend_dequantize_q8_0_avx2(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 34, y += 32) {
        __m256 d = _mm256_set1_ps(half_at(w));
        for (int i = 0; i < 4; i++) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + 2 + 8 * i)));
            _mm256_storeu_ps(y + 8 * i, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
        }
    }
}

__attribute__((target("avx2")))
void attend_dequantize_q4_0_avx2(const uint8_t *w, long blocks, float *y) {
    __m256i eight = _mm256_set1_epi32(8);
    for (long b = 0; b < blocks; b++, w += 18, y += 32) {
        __m256 d = _mm256_set1_ps(half_at(w));
        __m256i q[4];
        nibbles(w + 2, q);
        for (int i = 0; i < 4; i++) {
            _mm256_storeu_ps(y + 8 * i, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(q[i], eight))));
        }
    }
}

__attribute__((target("avx2")))
void attend_dequantize_q4_1_avx2(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 20, y += 32) {
        __m256 d = _mm256_set1_ps(half_at(w)), m = _mm256_set1_ps(half_at(w + 2));
        __m256i q[4];
        nibbles(w + 4, q);
        for (int i = 0; i < 4; i++) {
            _mm256_storeu_ps(y + 8 * i, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(q[i])), m));
        }
    }
}

#else
void attend_dequantize_q8_0_avx2(const uint8_t *w, long blocks, float *y) { attend_dequantize_q8_0_portable(w, blocks, y); }
void attend_dequantize_q4_0_avx2(const uint8_t *w, long blocks, float *y) { attend_dequantize_q4_0_portable(w, blocks, y); }
void attend_dequantize_q4_1_avx2(const uint8_t *w, long blocks, float *y) { attend_dequantize_q4_1_portable(w, blocks, y); }
#endif
