// Attend's kernel family: every kernel written once (family/*.h) against a small vector
// vocabulary (vocabulary/vf_*.h) and compiled once per instruction set — portable C, AVX2 + FMA,
// AVX-512 — with per-function target attributes (kernels_<isa>.c), no compiler flags. Each
// instance fills one dispatch table; Swift's `KernelPath` picks the table once, from the CPU
// features of attend_cpu_features.h, and is the only switch between paths.
#ifndef ATTEND_KERNELS_H
#define ATTEND_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/// The instruction sets the family is compiled for.
typedef enum attend_isa {
    ATTEND_ISA_PORTABLE = 0,
    ATTEND_ISA_AVX2 = 1,    ///< AVX2 + FMA
    ATTEND_ISA_AVX512 = 2,  ///< AVX-512 F, BW, DQ, VL
} attend_isa;

/// One mask component, already offset to the batch entry: entry (query i, key j) is at
/// `row·i + column·j` (i and j absolute indices, not relative to the block).
typedef struct attend_mask_term {
    /// Non-null: masked where flags[…] == masked_when.
    const bool *flags;
    bool masked_when;
    /// Non-null: added to the scaled score.
    const float *values;
    long row;
    long column;
} attend_mask_term;

/// One query block of one batch entry for the fused attention kernel:
/// out[i, :] = Σ_j softmax_j(scale·q_i·k_j + mask_ij) · v_j for i < rows, j < lk.
typedef struct attend_attention_block {
    const float *q;      ///< rows × dk, row stride q_row (unit stride within a row)
    const float *k;      ///< lk × dk of this batch entry, row stride k_row
    const float *v;      ///< lk × dv, row stride v_row
    float *out;          ///< rows × dv, row stride out_row
    long q_row, k_row, v_row, out_row;
    long rows;           ///< 1 … the table's attention_query_block
    long q0;             ///< absolute index of the first query of the block
    long lk, dk, dv;
    float scale;
    /// Causal: query i may attend key j iff j ≤ i + causal_offset (0: top-left; Lk − Lq: bottom-right).
    bool causal;
    long causal_offset;
    const attend_mask_term *terms;
    long term_count;
    /// At least attention_scratch_floats(dk, dv) floats, aligned to 64 bytes.
    float *scratch;
} attend_attention_block;

/// y[r] = Σ_c W[r, c]·x[c] for r in [row_begin, row_end), W `rows × cols` in GGUF blocks of 32
/// (cols % 32 == 0), dequantized in registers against float32 x:
///   Q8_0: 34 bytes (f16 d, 32 int8 q),           w = d·q
///   Q4_0: 18 bytes (f16 d, 16 bytes of nibbles), w = d·(q − 8)
///   Q4_1: 20 bytes (f16 d, f16 m, 16 bytes),     w = d·q + m
/// (byte j holds element j in its low nibble and element j + 16 in its high one). Per block
/// d·Σ q·x (+ m·Σx for Q4_1, − 8d·Σx for Q4_0) accumulates in float32; `xsum` holds Σx over each
/// 32-element block of x (cols / 32 values; used by Q4_0 and Q4_1).
typedef void (*attend_matvec_kernel)(const uint8_t *w, long cols, const float *x, const float *xsum, float *y,
                                     long row_begin, long row_end);

/// The same product for `inputs` vectors at once (several sequences decoded in one step):
/// y[i·y_stride + r] = Σ_c W[r, c]·x[i·cols + c] for i < inputs, r in [row_begin, row_end), with
/// xsum[i·(cols / 32) + b] the block sums of input i. Each block is widened once for every input,
/// and each input's additions are in the order of the one-input kernel, so every output equals
/// that kernel's bit for bit.
typedef void (*attend_matvec_inputs_kernel)(const uint8_t *w, long cols, const float *x, const float *xsum,
                                            long inputs, float *y, long y_stride, long row_begin, long row_end);

/// `blocks` consecutive GGUF blocks of 32 from w into y[0 ..< 32·blocks]: Q8_0 y = d·q, Q4_0
/// y = d·(q − 8), Q4_1 y = d·q + m (a multiply, then an add: two roundings). Every path gives the
/// same bits (each element is the same one or two IEEE operations on the same operands).
typedef void (*attend_dequantize_kernel)(const uint8_t *w, long blocks, float *y);

/// The activation bias_activation applies after the bias.
typedef enum attend_activation {
    ATTEND_ACTIVATION_NONE = 0,
    ATTEND_ACTIVATION_RELU = 1,  ///< max(0, x); NaN stays NaN
    ATTEND_ACTIVATION_GELU = 2,  ///< x·Φ(x), the erf form, ≤ 12 u relative (family/elementwise.h)
} attend_activation;
/// x[r·stride + c] ← act(x[r·stride + c] + bias[c]) for r < rows, c < cols; bias may be NULL.
typedef void (*attend_bias_activation_kernel)(float *x, long rows, long cols, long stride, const float *bias,
                                              attend_activation activation);
/// For each row r < rows: v = (x_r + bias) + residual_r, then
/// out_r = (v − mean v)/√(var v + eps)·gamma + beta (mean and biased variance over cols, in Float).
/// bias, residual, gamma, beta may be NULL; out may alias x or residual.
typedef void (*attend_residual_layernorm_kernel)(float *out, long out_stride, const float *x, long x_stride,
                                                 const float *residual, long residual_stride, const float *bias,
                                                 const float *gamma, const float *beta, long rows, long cols,
                                                 float eps);
/// One instance of the family: its kernels and the geometry the Swift side plans with.
typedef struct attend_kernel_table {
    attend_isa isa;
    /// "portable", "avx2", "avx512" (as Swift's KernelPath raw values).
    const char *name;
    /// Float lanes of one vector.
    long lanes;

    /// Fused attention: queries per work item, keys per block (the online softmax rescales once
    /// per key block), register tile of tile_rows keys (or output features) × tile_queries queries.
    long attention_query_block, attention_key_block, attention_tile_rows, attention_tile_queries;
    /// Floats of scratch one worker needs for blocks with these feature sizes.
    long (*attention_scratch_floats)(long dk, long dv);
    /// Runs one block (rows == 1: the matrix-vector form). Sets flush-to-zero and
    /// denormals-are-zero while it runs and restores the caller's state before returning.
    void (*attention)(const attend_attention_block *block);

    /// In place x[i] ← exp(x[i] − shift) for i < count; returns Σ exp(x[i] − shift) in float.
    /// The family's exp (≤ 2 ulp on [−87.3, 88]; arguments below −87.33 give 0).
    float (*exp_shift_sum)(float *x, long count, float shift);

    attend_matvec_kernel matvec_q8_0, matvec_q4_0, matvec_q4_1;
    /// Several inputs against the same rows, for the types that have such a kernel.
    attend_matvec_inputs_kernel matvec_inputs_q8_0, matvec_inputs_q4_1;
    attend_dequantize_kernel dequantize_q8_0, dequantize_q4_0, dequantize_q4_1;
    /// Q5_0, Q5_1 (blocks of 32) and the K-quants Q4_K, Q5_K, Q6_K (super-blocks of 256; cols a
    /// multiple of 256); layouts and values in family/quantized_more.h. xsum is not read.
    attend_matvec_kernel matvec_q5_0, matvec_q5_1, matvec_q4_k, matvec_q5_k, matvec_q6_k;
    attend_dequantize_kernel dequantize_q5_0, dequantize_q5_1, dequantize_q4_k, dequantize_q5_k, dequantize_q6_k;
    attend_bias_activation_kernel bias_activation;
    attend_residual_layernorm_kernel residual_layernorm;
} attend_kernel_table;

/// The instance for `isa`, or NULL when this build has none (the SIMD instances exist on x86-64
/// only). Having a table does not mean the CPU can run it: check attend_cpu_features first.
const attend_kernel_table *attend_kernels(attend_isa isa);

/// IEEE binary16 bits → float, exactly (every half is a float): zeros and subnormals by scaling
/// the fraction, infinities and NaNs keep their payload, normals rebias the exponent. The one
/// f16 decoder of Attend: the quantized kernels inline it for block scales; Swift calls it for
/// F16 tensors.
static inline float attend_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu, fraction = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {
        float magnitude = (float)fraction * 0x1p-24f;  // zero or subnormal, exact
        return sign ? -magnitude : magnitude;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (fraction << 13);
    } else {
        bits = sign | ((exponent + 112u) << 23) | (fraction << 13);
    }
    union { uint32_t u; float f; } pun = {bits};
    return pun.f;
}

/// A spin-wait hint (x86 `pause`: lets the sibling hyper-thread run and saves power in a
/// busy-wait loop); nothing elsewhere.
static inline void attend_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

/// The calling thread's MXCSR (for tests that check a kernel leaves it unchanged). 0 off x86.
unsigned attend_read_mxcsr(void);
/// Sets the calling thread's MXCSR (tests). No-op off x86.
void attend_write_mxcsr(unsigned value);

#endif
