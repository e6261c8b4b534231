// Portable C matrix-vector products over quantized rows (see attend_quant_matvec.h).
#include "attend_quant_matvec.h"
#include "half_block.h"
#include <string.h>

// No fused multiply-adds: d·q + m rounds twice, the same on every machine.
#pragma STDC FP_CONTRACT OFF

float attend_half_to_float(uint16_t h) { return attend_half_bits_to_float(h); }

// Σ_j q_j·x_j over one 4-bit block: 16 bytes whose low nibbles are elements 0…15 and high nibbles
// 16…31 (ggml's Q4_0/Q4_1 order), unsigned 0…15, summed in that order (so every caller rounds alike).
static inline float nibble_dot(const uint8_t *nibbles, const float *xb) {
    float s = 0;
    for (int j = 0; j < 16; j++) {
        s += (float)(nibbles[j] & 0x0F) * xb[j];
        s += (float)(nibbles[j] >> 4) * xb[j + 16];
    }
    return s;
}

void attend_matvec_q8_0_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    (void)xsum;
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 34;
        float acc = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 34;
            const int8_t *q = (const int8_t *)(block + 2);
            const float *xb = x + b * 32;
            float s = 0;
            for (int j = 0; j < 32; j++) s += (float)q[j] * xb[j];
            acc += half_at(block) * s;
        }
        y[r] = acc;
    }
}

void attend_matvec_q4_0_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 18;
        float acc = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 18;
            acc += half_at(block) * (nibble_dot(block + 2, x + b * 32) - 8 * xsum[b]);
        }
        y[r] = acc;
    }
}

void attend_matvec_q4_1_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end) {
    long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 20;
        float acc = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 20;
            acc += half_at(block) * nibble_dot(block + 4, x + b * 32) + half_at(block + 2) * xsum[b];
        }
        y[r] = acc;
    }
}
