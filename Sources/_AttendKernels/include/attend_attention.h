// Fused attention micro-kernels (one query block against all its keys), compiled for a given
// ISA with per-function target attributes and called only after a runtime CPU check
// (`KernelPath` in Sources/Attend/Kernels/KernelPath.swift). The portable path is the
// sgemm-tiled kernel in Sources/Attend/Attention/FusedAttention.swift; it computes the same
// function. An AVX-512 family would go beside this one as attention_avx512.c with the same
// entry points suffixed _avx512.
#ifndef ATTEND_ATTENTION_H
#define ATTEND_ATTENTION_H

#include <stdbool.h>

/// Queries per work item of the AVX2 kernel (the block the caller splits Lq into).
#define ATTEND_AVX2_QUERY_BLOCK 32
/// Keys per block of the AVX2 kernel: the Sᵀ scratch (128 × 32 floats, 16 KB) stays in L1.
#define ATTEND_AVX2_KEY_BLOCK 128
/// Register tiles of the AVX2 kernel: 6 keys (or 6 output features) × 16 queries.
#define ATTEND_AVX2_TILE_ROWS 6
#define ATTEND_AVX2_TILE_QUERIES 16

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

/// One query block of one batch entry:
/// out[i, :] = Σ_j softmax_j(scale·q_i·k_j + mask_ij) · v_j for i < rows, j < lk.
typedef struct attend_attention_block {
    const float *q;      ///< rows × dk, row stride q_row (unit stride within a row)
    const float *k;      ///< lk × dk of this batch entry, row stride k_row
    const float *v;      ///< lk × dv, row stride v_row
    float *out;          ///< rows × dv, contiguous
    long q_row, k_row, v_row;
    long rows;           ///< 1 … ATTEND_AVX2_QUERY_BLOCK
    long q0;             ///< absolute index of the first query of the block
    long lk, dk, dv;
    float scale;
    /// Causal: query i may attend key j iff j ≤ i + causal_offset (0: top-left; Lk − Lq: bottom-right).
    bool causal;
    long causal_offset;
    const attend_mask_term *terms;
    long term_count;
    /// At least attend_attention_avx2_scratch_floats(dk, dv) floats, 32-byte aligned.
    float *scratch;
} attend_attention_block;

/// Floats of scratch one worker needs for blocks with these feature sizes.
long attend_attention_avx2_scratch_floats(long dk, long dv);

/// Runs one block. Sets flush-to-zero and denormals-are-zero while it runs and restores the
/// caller's MXCSR before returning. Requires AVX2 + FMA.
void attend_attention_avx2(const attend_attention_block *block);

/// The calling thread's MXCSR (for tests that check it is left unchanged). 0 off x86-64.
unsigned attend_read_mxcsr(void);
/// Sets the calling thread's MXCSR (tests). No-op off x86-64.
void attend_write_mxcsr(unsigned value);

#endif
