// AVX2 + FMA matrix-vector products over quantized rows (see attend_quant_matvec.h), compiled
// with per-function target attributes and called only after a runtime CPU check.
#include "attend_quant_matvec.h"
#include "half_block.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Σ_j q_j · x_j for the 32 nibbles of a 16-byte block (low nibbles 0–15, high 16–31).
__attribute__((target("avx2,fma")))
static inline __m256 nibble_dot(const uint8_t *nibbles, const float *xb) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)nibbles);
    __m128i mask = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(bytes, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
    __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
    __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
    __m256 s = _mm256_mul_ps(q0, _mm256_loadu_ps(xb));
    s = _mm256_fmadd_ps(q1, _mm256_loadu_ps(xb + 8), s);
    s = _mm256_fmadd_ps(q2, _mm256_loadu_ps(xb + 16), s);
    return _mm256_fmadd_ps(q3, _mm256_loadu_ps(xb + 24), s);
}

__attribute__((target("avx2,fma")))
void attend_matvec_q8_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    (void)xsum;
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 34;
        __m256 acc = _mm256_setzero_ps();
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 34;
            const float *xb = x + b * 32;
            __m256i raw = _mm256_loadu_si256((const __m256i *)(block + 2));
            __m128i lo = _mm256_castsi256_si128(raw), hi = _mm256_extracti128_si256(raw, 1);
            __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), _mm256_loadu_ps(xb));
            s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), _mm256_loadu_ps(xb + 8), s);
            s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), _mm256_loadu_ps(xb + 16), s);
            s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), _mm256_loadu_ps(xb + 24), s);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(block)), s, acc);
        }
        y[r] = horizontal_sum(acc);
    }
}

__attribute__((target("avx2,fma")))
void attend_matvec_q4_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 18;
        __m256 acc = _mm256_setzero_ps();
        float offset = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 18;
            float d = half_at(block);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), nibble_dot(block + 2, x + b * 32), acc);
            offset += d * xsum[b];
        }
        y[r] = horizontal_sum(acc) - 8 * offset;
    }
}

__attribute__((target("avx2,fma")))
void attend_matvec_q4_1_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 20;
        __m256 acc = _mm256_setzero_ps();
        float offset = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 20;
            acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(block)), nibble_dot(block + 4, x + b * 32), acc);
            offset += half_at(block + 2) * xsum[b];
        }
        y[r] = horizontal_sum(acc) + offset;
    }
}

#else
void attend_matvec_q8_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long b, long e) { attend_matvec_q8_0_portable(w, cols, x, xsum, y, b, e); }
void attend_matvec_q4_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long b, long e) { attend_matvec_q4_0_portable(w, cols, x, xsum, y, b, e); }
void attend_matvec_q4_1_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long b, long e) { attend_matvec_q4_1_portable(w, cols, x, xsum, y, b, e); }
#endif
