// GGUF block kernels, written once against the vector vocabulary: matrix-vector products that
// dequantize in registers (decode) and panel dequantization into float32 (a prompt's sgemm
// operands, embedding rows). Layouts and contracts: attend_kernels.h (attend_matvec_kernel,
// attend_dequantize_kernel). 32 elements per block is a whole number of vectors on every path.
#ifndef ATTEND_FAMILY_QUANTIZED_H
#define ATTEND_FAMILY_QUANTIZED_H

_Static_assert(32 % VF_LANES == 0, "a GGUF block is a whole number of vectors");

/// The little-endian f16 at p (a block's scale d or minimum m) as a float.
VF_INLINE float half_at(const uint8_t *p) { return vf_half_to_float((uint16_t)(p[0] | (p[1] << 8))); }

/// Σ_j q_j·x_j over the 32 elements of one block, q already widened to bytes (int8 or uint8).
VF_INLINE vf dot_i8(const int8_t *q, const float *x) {
    vf s = vf_mul(vf_from_i8(q), vf_loadu(x));
    for (int j = VF_LANES; j < 32; j += VF_LANES) s = vf_fma(vf_from_i8(q + j), vf_loadu(x + j), s);
    return s;
}
/// The same for a block's 32 nibbles packed in 16 bytes (element j < 16 is the low nibble of byte
/// j, element j + 16 its high nibble), widened in registers; the additions in the order of dot_i8.
VF_INLINE vf dot_nibbles(const uint8_t *q, const float *x) {
    vf s = vf_mul(vf_from_nibbles(q, 0), vf_loadu(x));
    for (int j = VF_LANES; j < 16; j += VF_LANES) s = vf_fma(vf_from_nibbles(q + j, 0), vf_loadu(x + j), s);
    for (int j = 0; j < 16; j += VF_LANES) s = vf_fma(vf_from_nibbles(q + j, 4), vf_loadu(x + 16 + j), s);
    return s;
}

// Q8_0 and Q4_1 take two rows at a time: the per-block chain (scale conversion, broadcast, FMA
// into the row's accumulator) is latency-bound with one row; two independent chains fill the
// gaps. Each row's additions are in the same order as one row alone.
//
// A decode step streams every weight from DRAM once, and one core's hardware prefetcher leaves
// the kernel waiting: each block also prefetches the same block PREFETCH_ROWS rows ahead (a
// 49152 × 576 Q8_0 matrix, one Zen 4 core: 6.8 → 10.0 GB/s). A prefetch past the matrix's end is
// harmless (prefetches do not fault).
#define PREFETCH_ROWS 4

/// Σ over the blocks of one Q8_0 row: d·Σ q·x per block, accumulated lane-wise.
VF_INLINE vf q8_0_block(const uint8_t *block, const float *x, vf acc) {
    return vf_fma(vf_set1(half_at(block)), dot_i8((const int8_t *)(block + 2), x), acc);
}

/// y[r] = Σ over the row's blocks of `block(block bytes, x segment, acc)` for a block type whose
/// blocks of 32 take `bytes` bytes and whose block function scales its own sum (Q8_0, Q5_0): rows
/// two at a time, prefetched PREFETCH_ROWS rows ahead.
VF_INLINE void matvec_two_rows(const uint8_t *w, long cols, const float *x, float *y, long row_begin, long row_end,
                               long bytes, vf (*block)(const uint8_t *, const float *, vf)) {
    const long blocks = cols / 32, stride = blocks * bytes;
    long r = row_begin;
    for (; r + 1 < row_end; r += 2) {
        const uint8_t *row0 = w + r * stride, *row1 = row0 + stride;
        vf acc0 = vf_zero(), acc1 = vf_zero();
        for (long b = 0; b < blocks; b++) {
            __builtin_prefetch(row0 + PREFETCH_ROWS * stride + b * bytes);
            __builtin_prefetch(row1 + PREFETCH_ROWS * stride + b * bytes);
            acc0 = block(row0 + b * bytes, x + b * 32, acc0);
            acc1 = block(row1 + b * bytes, x + b * 32, acc1);
        }
        y[r] = vf_reduce_add(acc0);
        y[r + 1] = vf_reduce_add(acc1);
    }
    if (r < row_end) {
        vf acc = vf_zero();
        for (long b = 0; b < blocks; b++) acc = block(w + r * stride + b * bytes, x + b * 32, acc);
        y[r] = vf_reduce_add(acc);
    }
}

static void matvec_q8_0(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    (void)xsum;
    matvec_two_rows(w, cols, x, y, row_begin, row_end, 34, q8_0_block);
}

static void matvec_q4_0(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    const long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 18;
        vf acc = vf_zero();
        float offset = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 18;
            __builtin_prefetch(block + PREFETCH_ROWS * blocks * 18);
            const float d = half_at(block);
            acc = vf_fma(vf_set1(d), dot_nibbles(block + 2, x + b * 32), acc);
            offset += d * xsum[b];
        }
        y[r] = vf_reduce_add(acc) - 8 * offset;
    }
}

/// One Q4_1 block of a row: d·Σ q·x into the lanes, m·Σx into the row's scalar offset.
VF_INLINE vf q4_1_block(const uint8_t *block, const float *x, float xsum, vf acc, float *offset) {
    *offset += half_at(block + 2) * xsum;
    return vf_fma(vf_set1(half_at(block)), dot_nibbles(block + 4, x), acc);
}

static void matvec_q4_1(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    const long blocks = cols / 32, stride = blocks * 20;
    long r = row_begin;
    for (; r + 1 < row_end; r += 2) {
        const uint8_t *row0 = w + r * stride, *row1 = row0 + stride;
        vf acc0 = vf_zero(), acc1 = vf_zero();
        float offset0 = 0, offset1 = 0;
        for (long b = 0; b < blocks; b++) {
            __builtin_prefetch(row0 + PREFETCH_ROWS * stride + b * 20);
            __builtin_prefetch(row1 + PREFETCH_ROWS * stride + b * 20);
            acc0 = q4_1_block(row0 + b * 20, x + b * 32, xsum[b], acc0, &offset0);
            acc1 = q4_1_block(row1 + b * 20, x + b * 32, xsum[b], acc1, &offset1);
        }
        y[r] = vf_reduce_add(acc0) + offset0;
        y[r + 1] = vf_reduce_add(acc1) + offset1;
    }
    if (r < row_end) {
        vf acc = vf_zero();
        float offset = 0;
        for (long b = 0; b < blocks; b++) acc = q4_1_block(w + r * stride + b * 20, x + b * 32, xsum[b], acc, &offset);
        y[r] = vf_reduce_add(acc) + offset;
    }
}

// Several inputs against the same rows (attend_matvec_inputs_kernel): a block's 32 weights are
// widened into registers once, then each input of a group runs the one-input kernel's arithmetic
// on them — the same products and additions in the same order (dot_i8 / dot_nibbles, then the
// block's scale and offset), so each output has that kernel's bits. The widening, most of the work
// per weight with one input, is shared by the group, and the group's dot-product chains are
// interleaved (step k of every input, then step k + 1) so that they hide each other's latency.
// A group's accumulators and chains stay in registers: 4 inputs with 16 vector registers, 8 with 32.
#define MATVEC_INPUT_GROUP (VF_LANES == 16 ? 8 : 4)
#define BLOCK_VECTORS (32 / VF_LANES)

/// s[i] = Σ_k q[k]·x_i[k·VF_LANES …] for the n inputs x_i = x + i·cols: per input a multiply, then
/// FMAs in order k (dot_i8's and dot_nibbles' order), the inputs' chains interleaved.
VF_INLINE void dots_widened(const vf *q, const float *x, long cols, long n, vf *s) {
    for (long i = 0; i < n; i++) s[i] = vf_mul(q[0], vf_loadu(x + i * cols));
    for (int k = 1; k < BLOCK_VECTORS; k++)
        for (long i = 0; i < n; i++) s[i] = vf_fma(q[k], vf_loadu(x + i * cols + k * VF_LANES), s[i]);
}

/// One row of Q8_0 against n ≤ MATVEC_INPUT_GROUP inputs (n a constant after inlining for full groups).
VF_INLINE void q8_0_row_inputs(const uint8_t *row, long blocks, long stride, const float *x, long cols, long n,
                               float *y, long y_stride) {
    vf acc[MATVEC_INPUT_GROUP], s[MATVEC_INPUT_GROUP];
    for (long i = 0; i < n; i++) acc[i] = vf_zero();
    for (long b = 0; b < blocks; b++) {
        const uint8_t *block = row + b * 34;
        __builtin_prefetch(block + PREFETCH_ROWS * stride);
        vf q[BLOCK_VECTORS];
        for (int k = 0; k < BLOCK_VECTORS; k++) q[k] = vf_from_i8((const int8_t *)(block + 2) + k * VF_LANES);
        const vf d = vf_set1(half_at(block));
        dots_widened(q, x + b * 32, cols, n, s);
        for (long i = 0; i < n; i++) acc[i] = vf_fma(d, s[i], acc[i]);
    }
    for (long i = 0; i < n; i++) y[i * y_stride] = vf_reduce_add(acc[i]);
}

static void matvec_inputs_q8_0(const uint8_t *w, long cols, const float *x, const float *xsum, long inputs, float *y,
                               long y_stride, long row_begin, long row_end) {
    (void)xsum;
    const long blocks = cols / 32, stride = blocks * 34;
    for (long r = row_begin; r < row_end; r++) {
        long first = 0;
        for (; first + MATVEC_INPUT_GROUP <= inputs; first += MATVEC_INPUT_GROUP)
            q8_0_row_inputs(w + r * stride, blocks, stride, x + first * cols, cols, MATVEC_INPUT_GROUP,
                            y + first * y_stride + r, y_stride);
        if (first < inputs)
            q8_0_row_inputs(w + r * stride, blocks, stride, x + first * cols, cols, inputs - first,
                            y + first * y_stride + r, y_stride);
    }
}

/// One row of Q4_1 against n ≤ MATVEC_INPUT_GROUP inputs, `sums` their block sums.
VF_INLINE void q4_1_row_inputs(const uint8_t *row, long blocks, long stride, const float *x, const float *sums,
                               long cols, long n, float *y, long y_stride) {
    vf acc[MATVEC_INPUT_GROUP], s[MATVEC_INPUT_GROUP];
    float offset[MATVEC_INPUT_GROUP];
    for (long i = 0; i < n; i++) {
        acc[i] = vf_zero();
        offset[i] = 0;
    }
    for (long b = 0; b < blocks; b++) {
        const uint8_t *block = row + b * 20;
        __builtin_prefetch(block + PREFETCH_ROWS * stride);
        // dot_nibbles' order: the low nibbles (elements 0–15), then the high ones (16–31).
        vf q[BLOCK_VECTORS];
        for (int k = 0; k < BLOCK_VECTORS / 2; k++) {
            q[k] = vf_from_nibbles(block + 4 + k * VF_LANES, 0);
            q[BLOCK_VECTORS / 2 + k] = vf_from_nibbles(block + 4 + k * VF_LANES, 4);
        }
        const vf d = vf_set1(half_at(block));
        const float m = half_at(block + 2);
        dots_widened(q, x + b * 32, cols, n, s);
        for (long i = 0; i < n; i++) {
            offset[i] += m * sums[i * blocks + b];
            acc[i] = vf_fma(d, s[i], acc[i]);
        }
    }
    for (long i = 0; i < n; i++) y[i * y_stride] = vf_reduce_add(acc[i]) + offset[i];
}

static void matvec_inputs_q4_1(const uint8_t *w, long cols, const float *x, const float *xsum, long inputs, float *y,
                               long y_stride, long row_begin, long row_end) {
    const long blocks = cols / 32, stride = blocks * 20;
    for (long r = row_begin; r < row_end; r++) {
        long first = 0;
        for (; first + MATVEC_INPUT_GROUP <= inputs; first += MATVEC_INPUT_GROUP)
            q4_1_row_inputs(w + r * stride, blocks, stride, x + first * cols, xsum + first * blocks, cols,
                            MATVEC_INPUT_GROUP, y + first * y_stride + r, y_stride);
        if (first < inputs)
            q4_1_row_inputs(w + r * stride, blocks, stride, x + first * cols, xsum + first * blocks, cols,
                            inputs - first, y + first * y_stride + r, y_stride);
    }
}

// Dequantization: a multiply (and for Q4_1 an add), never fused, so every path gives the same bits.

static void dequantize_q8_0(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 34, y += 32) {
        const vf d = vf_set1(half_at(w));
        for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_mul(d, vf_from_i8((const int8_t *)(w + 2 + j))));
    }
}

static void dequantize_q4_0(const uint8_t *w, long blocks, float *y) {
    const vf eight = vf_set1(8);
    uint8_t q[32];
    for (long b = 0; b < blocks; b++, w += 18, y += 32) {
        const vf d = vf_set1(half_at(w));
        vf_unpack_nibbles(w + 2, q);
        // q − 8 is exact in float, as the integer subtraction would be.
        for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_mul(d, vf_sub(vf_from_u8(q + j), eight)));
    }
}

static void dequantize_q4_1(const uint8_t *w, long blocks, float *y) {
    uint8_t q[32];
    for (long b = 0; b < blocks; b++, w += 20, y += 32) {
        const vf d = vf_set1(half_at(w)), m = vf_set1(half_at(w + 2));
        vf_unpack_nibbles(w + 4, q);
        for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_add(vf_mul(d, vf_from_u8(q + j)), m));
    }
}

#endif
