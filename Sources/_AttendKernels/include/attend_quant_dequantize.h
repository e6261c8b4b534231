// Dequantization of GGUF blocks of 32 elements into float32 — the panels a prompt's matrix
// products feed to sgemm (Sources/Attend/Lowering/QuantizedPanelLowering.swift), and embedding
// rows. Layouts (byte j of the nibbles holds element j low, element j + 16 high):
//   Q8_0: 34 bytes (f16 d, 32 int8 q),           y = d·q
//   Q4_0: 18 bytes (f16 d, 16 bytes of nibbles), y = d·(q − 8)
//   Q4_1: 20 bytes (f16 d, f16 m, 16 bytes),     y = d·q + m   (two roundings, no fused multiply-add)
// `blocks` consecutive blocks from w are written to y[0 ..< 32·blocks].
// The _avx2 variants need AVX2 (check attend_cpu_has_avx2_fma() first) and give the same bits
// as the _portable ones: every element is the same one or two IEEE operations on the same operands.
#ifndef ATTEND_QUANT_DEQUANTIZE_H
#define ATTEND_QUANT_DEQUANTIZE_H

#include <stdint.h>

void attend_dequantize_q8_0_portable(const uint8_t *w, long blocks, float *y);
void attend_dequantize_q4_0_portable(const uint8_t *w, long blocks, float *y);
void attend_dequantize_q4_1_portable(const uint8_t *w, long blocks, float *y);

void attend_dequantize_q8_0_avx2(const uint8_t *w, long blocks, float *y);
void attend_dequantize_q4_0_avx2(const uint8_t *w, long blocks, float *y);
void attend_dequantize_q4_1_avx2(const uint8_t *w, long blocks, float *y);

#endif
