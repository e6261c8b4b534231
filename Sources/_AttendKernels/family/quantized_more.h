// The GGUF block types beyond Q8_0/Q4_0/Q4_1 (quantized.h), written once against the vector
// vocabulary: Q5_0 and Q5_1 (blocks of 32), and the K-quants Q4_K, Q5_K, Q6_K (super-blocks of
// 256). Layouts are llama.cpp's (ggml-common.h); the values, in Float with no fused operation so
// every path gives the same bits as the `gguf` package's NumPy dequantizer:
//
//   Q5_0  22 B: f16 d, u32 qh, 16 B nibbles     q = nibble | (bit j of qh) << 4      d·(q − 16)
//   Q5_1  24 B: f16 d, f16 m, u32 qh, 16 B      q as Q5_0                            d·q + m
//   Q4_K 144 B: f16 d, f16 dmin, 12 B scales, 128 B nibbles; 8 sub-blocks of 32 with 6-bit
//        scale sc and min m: (d·sc)·q − (dmin·m)
//   Q5_K 176 B: Q4_K's header, 32 B qh (bit 2i / 2i + 1 of qh[l] is the fifth bit of element l of
//        sub-blocks 2i / 2i + 1), 128 B nibbles: (d·sc)·q − (dmin·m), q < 32
//   Q6_K 210 B: 128 B low nibbles, 64 B high 2-bit pairs, 16 int8 scales, f16 d;
//        16 sub-blocks of 16: (d·sc)·(q − 32)
//
// In the 32-element blocks byte j holds element j (low nibble) and j + 16 (high nibble); in a
// K-quant's 64-element group byte l holds element l (low) and l + 32 (high).
//
// The matrix-vector products of Q5_1 and the K-quants dequantize one block into L1 (the same
// routine as the panel dequantizers) and take its dot product with x in VF_LANES lanes,
// accumulated across the row and reduced once; Q5_0's widens its values in registers and scales
// each block's sum by d (as Q8_0). Either way the dot product's bound (γ_cols·Σ|w||x|) holds.
#ifndef ATTEND_FAMILY_QUANTIZED_MORE_H
#define ATTEND_FAMILY_QUANTIZED_MORE_H

/// The little-endian u32 at p.
VF_INLINE uint32_t u32_at(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/// The 32 five-bit values of a Q5_0/Q5_1 block as floats: nibbles at qs, fifth bits in qh.
VF_INLINE void q5_values(const uint8_t *qs, uint32_t qh, float *q) {
    for (int j = 0; j < 16; j += VF_LANES) {
        vf_storeu(q + j, vf_from_nibbles_bit4(qs + j, 0, qh >> j));
        vf_storeu(q + 16 + j, vf_from_nibbles_bit4(qs + j, 4, qh >> (16 + j)));
    }
}

static void dequantize_q5_0(const uint8_t *w, long blocks, float *y) {
    float q[32];
    const vf sixteen = vf_set1(16);
    for (long b = 0; b < blocks; b++, w += 22, y += 32) {
        const vf d = vf_set1(half_at(w));
        q5_values(w + 6, u32_at(w + 2), q);
        for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_mul(d, vf_sub(vf_loadu(q + j), sixteen)));
    }
}

static void dequantize_q5_1(const uint8_t *w, long blocks, float *y) {
    float q[32];
    for (long b = 0; b < blocks; b++, w += 24, y += 32) {
        const vf d = vf_set1(half_at(w)), m = vf_set1(half_at(w + 2));
        q5_values(w + 8, u32_at(w + 4), q);
        for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_add(vf_mul(d, vf_loadu(q + j)), m));
    }
}

/// Sub-block j's 6-bit scale and min from a Q4_K/Q5_K header's 12 packed bytes: j < 4 in the low 6
/// bits of bytes j and j + 4; j ≥ 4 in the nibbles of byte j + 4 with the top 2 bits of bytes
/// j − 4 and j.
VF_INLINE void k_scale_min(const uint8_t *s, int j, float *scale, float *min) {
    if (j < 4) {
        *scale = (float)(s[j] & 63);
        *min = (float)(s[j + 4] & 63);
    } else {
        *scale = (float)((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
        *min = (float)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/// y[0 ..< 32] = a·q − c for 32 values q (a multiply, then a subtraction).
VF_INLINE void scale_shift_32(const float *q, float a, float c, float *y) {
    const vf va = vf_set1(a), vc = vf_set1(c);
    for (int j = 0; j < 32; j += VF_LANES) vf_storeu(y + j, vf_sub(vf_mul(va, vf_loadu(q + j)), vc));
}

/// Q4_K (high = NULL) and Q5_K (high = the 32 bytes of fifth bits): 256 values from the header at
/// w (d, dmin, scales) and the nibbles at qs.
VF_INLINE void dequantize_k4_k5(const uint8_t *w, const uint8_t *high, const uint8_t *qs, float *y) {
    const float d = half_at(w), dmin = half_at(w + 2);
    const uint8_t *scales = w + 4;
    float q[32];
    for (int group = 0; group < 4; group++, qs += 32, y += 64) {
        for (int half = 0; half < 2; half++) {
            const int sub = 2 * group + half;
            for (int l = 0; l < 32; l++) {
                int v = half ? qs[l] >> 4 : qs[l] & 0x0F;
                if (high) v |= ((high[l] >> sub) & 1) << 4;
                q[l] = (float)v;
            }
            float scale, min;
            k_scale_min(scales, sub, &scale, &min);
            scale_shift_32(q, d * scale, dmin * min, y + 32 * half);
        }
    }
}

static void dequantize_q4_k(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 144, y += 256) dequantize_k4_k5(w, NULL, w + 16, y);
}

static void dequantize_q5_k(const uint8_t *w, long blocks, float *y) {
    for (long b = 0; b < blocks; b++, w += 176, y += 256) dequantize_k4_k5(w, w + 16, w + 48, y);
}

static void dequantize_q6_k(const uint8_t *w, long blocks, float *y) {
    float q[32];
    for (long b = 0; b < blocks; b++, w += 210, y += 256) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *scales = (const int8_t *)(w + 192);
        const float d = half_at(w + 208);
        for (int group = 0; group < 2; group++, ql += 64, qh += 32, scales += 8) {
            float *out = y + 128 * group;
            // Element 32k + l of the group: the low (k < 2) or high (k ≥ 2) nibble of ql[l + 32·(k mod 2)],
            // and bits 2k, 2k + 1 of qh[l] above it.
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    const uint8_t byte = ql[l + (k & 1) * 32];
                    const int nibble = k >= 2 ? byte >> 4 : byte & 0x0F;
                    q[l] = (float)((nibble | (((qh[l] >> (2 * k)) & 3) << 4)) - 32);
                }
                // Sub-blocks of 16: elements l < 16 take scale 2k, the others 2k + 1.
                for (int half = 0; half < 2; half++) {
                    const vf a = vf_set1(d * (float)scales[2 * k + half]);
                    for (int j = 0; j < 16; j += VF_LANES)
                        vf_storeu(out + 32 * k + 16 * half + j, vf_mul(a, vf_loadu(q + 16 * half + j)));
                }
            }
        }
    }
}

/// y[r] = Σ_c W[r, c]·x[c] for a block type whose blocks of `elements` values take `bytes` bytes,
/// through its dequantizer (one block at a time, in L1).
VF_INLINE void matvec_by_blocks(const uint8_t *w, long cols, const float *x, float *y, long row_begin, long row_end,
                                long elements, long bytes, void (*dequantize)(const uint8_t *, long, float *)) {
    const long blocks = cols / elements;
    float values[256] __attribute__((aligned(64)));
    for (long r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * blocks * bytes;
        vf acc = vf_zero();
        for (long b = 0; b < blocks; b++) {
            for (long line = 0; line < bytes; line += 64) __builtin_prefetch(row + PREFETCH_ROWS * blocks * bytes + b * bytes + line);
            dequantize(row + b * bytes, 1, values);
            for (long j = 0; j < elements; j += VF_LANES) acc = vf_fma(vf_load(values + j), vf_loadu(x + b * elements + j), acc);
        }
        y[r] = vf_reduce_add(acc);
    }
}

/// One Q5_0 block of a row: d·Σ (q − 16)·x, the five-bit values widened in registers and the
/// additions in the order of dot_i8 (q − 16 is exact).
VF_INLINE vf q5_0_block(const uint8_t *block, const float *x, vf acc) {
    const vf sixteen = vf_set1(16);
    const uint32_t qh = u32_at(block + 2);
    const uint8_t *qs = block + 6;
    vf s = vf_mul(vf_sub(vf_from_nibbles_bit4(qs, 0, qh), sixteen), vf_loadu(x));
    for (int j = VF_LANES; j < 16; j += VF_LANES)
        s = vf_fma(vf_sub(vf_from_nibbles_bit4(qs + j, 0, qh >> j), sixteen), vf_loadu(x + j), s);
    for (int j = 0; j < 16; j += VF_LANES)
        s = vf_fma(vf_sub(vf_from_nibbles_bit4(qs + j, 4, qh >> (16 + j)), sixteen), vf_loadu(x + 16 + j), s);
    return vf_fma(vf_set1(half_at(block)), s, acc);
}

static void matvec_q5_0(const uint8_t *w, long cols, const float *x, const float *xsum, float *y, long row_begin,
                        long row_end) {
    (void)xsum;
    matvec_two_rows(w, cols, x, y, row_begin, row_end, 22, q5_0_block);
}

#define MATVEC_BY_BLOCKS(type, elements, bytes)                                                                   \
    static void matvec_##type(const uint8_t *w, long cols, const float *x, const float *xsum, float *y,          \
                              long row_begin, long row_end) {                                                    \
        (void)xsum;                                                                                              \
        matvec_by_blocks(w, cols, x, y, row_begin, row_end, elements, bytes, dequantize_##type);                 \
    }
MATVEC_BY_BLOCKS(q5_1, 32, 24)
MATVEC_BY_BLOCKS(q4_k, 256, 144)
MATVEC_BY_BLOCKS(q5_k, 256, 176)
MATVEC_BY_BLOCKS(q6_k, 256, 210)
#undef MATVEC_BY_BLOCKS

#endif
