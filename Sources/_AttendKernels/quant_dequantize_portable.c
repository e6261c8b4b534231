// Portable C dequantization of GGUF blocks (see attend_quant_dequantize.h).
#include "attend_quant_dequantize.h"
#include "half_block.h"
#include "attend_quant_matvec.h"

// No fused multiply-adds: d·q + m rounds twice, the same on every machine and in the AVX2 path.
#pragma STDC FP_CONTRACT OFF

void attend_dequantize_q8_0_portable(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 34, y += 32) {
        float d = half_at(w);
        const int8_t *q = (const int8_t *)(w + 2);
        for (int j = 0; j < 32; j++) y[j] = d * (float)q[j];
    }
}

void attend_dequantize_q4_0_portable(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 18, y += 32) {
        float d = half_at(w);
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)((int)(w[2 + j] & 0x0F) - 8);
            y[j + 16] = d * (float)((int)(w[2 + j] >> 4) - 8);
        }
    }
}

void attend_dequantize_q4_1_portable(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 20, y += 32) {
        float d = half_at(w), m = half_at(w + 2);
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)(w[4 + j] & 0x0F) + m;
            y[j + 16] = d * (float)(w[4 + j] >> 4) + m;
        }
    }
}
