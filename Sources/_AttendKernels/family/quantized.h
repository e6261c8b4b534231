// GGUF block kernels, written once against the vector vocabulary: matrix-vector products that
// dequantize in registers (decode) and panel dequantization into float32 (a prompt's sgemm
// operands, embedding rows). Layouts and contracts: attend_kernels.h (attend_matvec_kernel,
// attend_dequantize_kernel). 32 elements per block is a whole number of vectors on every path.
#ifndef ATTEND_FAMILY_QUANTIZED_H
#define ATTEND_FAMILY_QUANTIZED_H

_Static_assert(32 % VF_LANES == 0, "a GGUF block is a whole number of vectors");

/// The little-endian f16 at p (a block's scale d or minimum m) as a float.
VF_INLINE float half_at(const uint8_t *p) { return attend_half_to_float((uint16_t)(p[0] | (p[1] << 8))); }

/// Σ_j q_j·x_j over the 32 elements of one block, q already widened to bytes (int8 or uint8).
VF_INLINE vf dot_i8(const int8_t *q, const float *x) {
    vf s = vf_mul(vf_from_i8(q), vf_loadu(x));
    for (int j = VF_LANES; j < 32; j += VF_LANES) s = vf_fma(vf_from_i8(q + j), vf_loadu(x + j), s);
    return s;
}
VF_INLINE vf dot_u8(const uint8_t *q, const float *x) {
    vf s = vf_mul(vf_from_u8(q), vf_loadu(x));
    for (int j = VF_LANES; j < 32; j += VF_LANES) s = vf_fma(vf_from_u8(q + j), vf_loadu(x + j), s);
    return s;
}

static void matvec_q8_0(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    (void)xsum;
    const long blocks = cols / 32;
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 34;
        vf acc = vf_zero();
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 34;
            acc = vf_fma(vf_set1(half_at(block)), dot_i8((const int8_t *)(block + 2), x + b * 32), acc);
        }
        y[r] = vf_reduce_add(acc);
    }
}

static void matvec_q4_0(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    const long blocks = cols / 32;
    uint8_t q[32];
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 18;
        vf acc = vf_zero();
        float offset = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 18;
            const float d = half_at(block);
            vf_unpack_nibbles(block + 2, q);
            acc = vf_fma(vf_set1(d), dot_u8(q, x + b * 32), acc);
            offset += d * xsum[b];
        }
        y[r] = vf_reduce_add(acc) - 8 * offset;
    }
}

static void matvec_q4_1(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    const long blocks = cols / 32;
    uint8_t q[32];
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * 20;
        vf acc = vf_zero();
        float offset = 0;
        for (long b = 0; b < blocks; b++) {
            const uint8_t *block = row + b * 20;
            vf_unpack_nibbles(block + 4, q);
            acc = vf_fma(vf_set1(half_at(block)), dot_u8(q, x + b * 32), acc);
            offset += half_at(block + 2) * xsum[b];
        }
        y[r] = vf_reduce_add(acc) + offset;
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
