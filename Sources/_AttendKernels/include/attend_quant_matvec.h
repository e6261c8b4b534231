// Matrix-vector products over GGUF-quantized weight rows, activations in float32:
//     y[r] = Σ_c W[r, c] · x[c]   for r in [row_begin, row_end)
// W is `rows × cols` stored as consecutive rows of blocks of 32 elements (cols % 32 == 0):
//   Q8_0: 34 bytes (f16 d, 32 int8 q),           w = d·q
//   Q4_0: 18 bytes (f16 d, 16 bytes of nibbles), w = d·(q − 8)
//   Q4_1: 20 bytes (f16 d, f16 m, 16 bytes),     w = d·q + m
// (byte j holds element j in its low nibble and element j + 16 in its high nibble).
// Weights are dequantized in registers, never quantizing x: per block, d·Σ q·x (+ m·Σ x for
// Q4_1, − 8d·Σ x for Q4_0) accumulated in float32 — the same values as float32 math on the
// dequantized weights up to the order of the additions.
// `xsum` holds Σ x over each 32-element block of x (cols / 32 values; used by Q4_0 and Q4_1).
// The _avx2 variants need AVX2 + FMA (check attend_cpu_has_avx2_fma() first); the _portable
// variants are plain C and compute the same function.
#ifndef ATTEND_QUANT_MATVEC_H
#define ATTEND_QUANT_MATVEC_H

#include <stdint.h>

void attend_matvec_q8_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);
void attend_matvec_q4_0_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);
void attend_matvec_q4_1_avx2(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);

void attend_matvec_q8_0_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);
void attend_matvec_q4_0_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);
void attend_matvec_q4_1_portable(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin, long row_end);

// Dequantization into float32 panels: attend_quant_dequantize.h.

/// IEEE binary16 bits → float (exact).
float attend_half_to_float(uint16_t bits);

#endif
