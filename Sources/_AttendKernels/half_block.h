// The f16 → f32 conversion of GGUF block scales, inlined into every quantized kernel (a call per
// block was 14 % of a decode step: perf, 2026-12-01). Private to _AttendKernels, like exp_avx2.h.
#ifndef ATTEND_HALF_BLOCK_H
#define ATTEND_HALF_BLOCK_H

#include <stdint.h>
#include <string.h>

/// IEEE binary16 bits → float, exactly (every half is a float): zeros and subnormals by scaling
/// the fraction, infinities and NaNs keep their payload, normals rebias the exponent.
static inline float attend_half_bits_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu, fraction = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {
        float magnitude = (float)fraction * 0x1p-24f;   // zero or subnormal, exact
        return sign ? -magnitude : magnitude;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (fraction << 13);
    } else {
        bits = sign | ((exponent + 112u) << 23) | (fraction << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// The little-endian f16 at p (a block's scale d or minimum m) as a float.
static inline float half_at(const uint8_t *p) { return attend_half_bits_to_float((uint16_t)(p[0] | (p[1] << 8))); }

#endif
