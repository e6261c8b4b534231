// Fused attention, AVX2 + FMA micro-kernels (FlashAttention's schedule with transposed scores).
//
// For one block of up to 32 queries of one batch entry:
//
//   Q̃ᵀ[d][i] = q[i][d] · scale                   (dk × 32, zero-padded columns; the only copy)
//   m = −∞, l = 0, Oᵀ = 0                         (per query: vectors across the 32 queries)
//   for each key block K_b, V_b of ≤ 128 keys (read in place; blocks past a causal limit skipped):
//       Sᵀ = K_b · Q̃ᵀ                             register tiles 6 keys × 16 queries, 12 accumulators;
//                                                 epilogue: causal mask by index compare on the
//                                                 diagonal block, block max m_b taken across keys
//       (other masks: set −∞ / add the mask, then m_b again)
//       m' = max(m, m_b);  c = e^(m − m');  Pᵀ = e^(Sᵀ − m')   elementwise across queries
//       l = c·l + Σ_keys Pᵀ;  Oᵀ = c·Oᵀ + Vᵀ_b·Pᵀ   register tiles 6 features × 16 queries
//       m = m'
//   out[i][:] = Oᵀ[:][i] / l[i]                   (l = 0, every key masked → 0)
//
// exp is the 8-lane exp of the vector kernels for arguments ≤ 0 (exp_avx2.h: exact two-part ln 2
// range reduction, ≤ 2 ulp, exactly 0 below −86.9), so this path has the accuracy of the
// sgemm-tiled one. Scores stay in natural units on purpose: folding log₂e into the queries (and
// computing 2^x) would save one FMA per 8 exps but round every logit once more, an extra relative
// error u·|s − m| in each weight (measured: 48 ulp at s − m = −80, against 2 ulp).
// Because queries are the vector dimension, no tile reads past an operand: K and V are read by
// scalar broadcasts, Q and the output by masked loads/stores at the feature tail; the tiles read
// only the zero-padded Q̃ᵀ and our own scratch by vectors. Profile: README, "Attention kernels".
//
// Non-finite inputs propagate as in the materialized softmax, query by query: a NaN score, or a
// +∞ one (whose shift gives ∞ − ∞), makes that query's normalizer l NaN, hence its whole output
// row; −∞ scores are masked keys. So the kernel needs no finiteness pre-pass over Q or K.
//
// One query (decode: Lq = 1 against a long history) is a matrix-vector problem bound by
// reading K and V once: dot products along d (8 lanes, masked loads for the dk tail), one exp
// pass per key block, then o += p_j·v_j along d.
#include "attend_attention.h"
#include "exp_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define BQ ATTEND_AVX2_QUERY_BLOCK
#define BK ATTEND_AVX2_KEY_BLOCK
#define TR ATTEND_AVX2_TILE_ROWS

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))
// The register-tile loops run 64–128 times per tile: unrolled four times, the loop branch and
// the pointer updates are a quarter of the work between the FMAs and the exit is predicted better.
#if defined(__clang__)
#define UNROLL4 _Pragma("clang loop unroll_count(4)")
#else
#define UNROLL4
#endif

static long round8(long n) { return (n + 7) & ~7L; }

long attend_attention_avx2_scratch_floats(long dk, long dv) {
    // Q̃ᵀ, Sᵀ, Oᵀ, five per-query vectors; decode: q̃, scores, o.
    return (long)BQ * (dk + BK + dv + 5) + round8(dk) + BK + round8(dv) + 32 + 8;
}

unsigned attend_read_mxcsr(void) { return _mm_getcsr(); }
void attend_write_mxcsr(unsigned value) { _mm_setcsr(value); }

/// Transposes an 8 × 8 block held as 8 row vectors (row r becomes column r).
AVX2 INLINE void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        __m256 *x = t + 4 * h, *y = u + 4 * h;
        y[0] = _mm256_shuffle_ps(x[0], x[2], _MM_SHUFFLE(1, 0, 1, 0));
        y[1] = _mm256_shuffle_ps(x[0], x[2], _MM_SHUFFLE(3, 2, 3, 2));
        y[2] = _mm256_shuffle_ps(x[1], x[3], _MM_SHUFFLE(1, 0, 1, 0));
        y[3] = _mm256_shuffle_ps(x[1], x[3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/// Lanes < n set, for masked loads of the last partial vector.
AVX2 INLINE __m256i tail_mask(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Q̃ᵀ[d][i] = q[i][d]·scale for i < rows (16·tiles columns, the rest 0), by 8 × 8 transposes:
/// rows are read with masked loads at the dk tail, never past their end.
AVX2 static void scaled_transposed_queries(const attend_attention_block *b, float *qt, long tiles) {
    const long rows = b->rows, dk = b->dk;
    const __m256 scale = _mm256_set1_ps(b->scale);
    for (long i0 = 0; i0 < 16 * tiles; i0 += 8) {
        for (long d0 = 0; d0 < dk; d0 += 8) {
            const long width = dk - d0 < 8 ? dk - d0 : 8;
            const __m256i lanes = tail_mask(width);
            __m256 x[8];
            for (int r = 0; r < 8; r++) {
                const float *row = b->q + (i0 + r) * b->q_row + d0;
                x[r] = i0 + r >= rows ? _mm256_setzero_ps()
                     : _mm256_mul_ps(width == 8 ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, lanes), scale);
            }
            transpose8(x);
            for (int c = 0; c < width; c++) _mm256_store_ps(qt + (d0 + c) * BQ + i0, x[c]);
        }
    }
}

/// out[i][d] = Oᵀ[d][i]·inverse[i] for i < rows, by 8 × 8 transposes; masked stores at the dv tail.
AVX2 static void normalized_output(const attend_attention_block *b, const float *ot, const float *inverse) {
    const long rows = b->rows, dv = b->dv;
    for (long i0 = 0; i0 < rows; i0 += 8) {
        const __m256 scale = _mm256_load_ps(inverse + i0);
        const long height = rows - i0 < 8 ? rows - i0 : 8;
        for (long d0 = 0; d0 < dv; d0 += 8) {
            const long width = dv - d0 < 8 ? dv - d0 : 8;
            const __m256i lanes = tail_mask(width);
            __m256 x[8];
            for (int c = 0; c < 8; c++)
                x[c] = c < width ? _mm256_mul_ps(_mm256_load_ps(ot + (d0 + c) * BQ + i0), scale) : _mm256_setzero_ps();
            transpose8(x);
            for (int r = 0; r < height; r++) {
                float *row = b->out + (i0 + r) * dv + d0;
                if (width == 8) _mm256_storeu_ps(row, x[r]);
                else _mm256_maskstore_ps(row, lanes, x[r]);
            }
        }
    }
}

/// Sᵀ[R keys][16 queries] = K[R rows]·Q̃ᵀ[:, 16]; stores the tile and folds it into the block max.
/// diag: key r is masked for query lanes i < limit0 + r (causal, index compare).
AVX2 INLINE void qk_tile(const int R, const float *k, long k_row, const float *qt, long dk, float *s,
                         __m256 *max0, __m256 *max1, bool diag, int limit0, int lane0) {
    __m256 a0[TR], a1[TR];
    for (int r = 0; r < R; r++) { a0[r] = _mm256_setzero_ps(); a1[r] = _mm256_setzero_ps(); }
    UNROLL4
    for (long d = 0; d < dk; d++) {
        __m256 x0 = _mm256_load_ps(qt + d * BQ), x1 = _mm256_load_ps(qt + d * BQ + 8);
        for (int r = 0; r < R; r++) {
            __m256 b = _mm256_broadcast_ss(k + r * k_row + d);
            a0[r] = _mm256_fmadd_ps(b, x0, a0[r]);
            a1[r] = _mm256_fmadd_ps(b, x1, a1[r]);
        }
    }
    if (diag) {
        const __m256 minf = _mm256_set1_ps(-INFINITY);
        __m256i lanes0 = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(lane0));
        __m256i lanes1 = _mm256_add_epi32(lanes0, _mm256_set1_epi32(8));
        for (int r = 0; r < R; r++) {
            __m256i limit = _mm256_set1_epi32(limit0 + r);
            a0[r] = _mm256_blendv_ps(a0[r], minf, _mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, lanes0)));
            a1[r] = _mm256_blendv_ps(a1[r], minf, _mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, lanes1)));
        }
    }
    __m256 m0 = *max0, m1 = *max1;
    for (int r = 0; r < R; r++) {
        _mm256_store_ps(s + r * BQ, a0[r]);
        _mm256_store_ps(s + r * BQ + 8, a1[r]);
        m0 = _mm256_max_ps(m0, a0[r]);
        m1 = _mm256_max_ps(m1, a1[r]);
    }
    *max0 = m0;
    *max1 = m1;
}

/// Oᵀ[R features][16 queries] = c·Oᵀ + Vᵀ[R features, keys]·Pᵀ[keys, 16].
AVX2 INLINE void pv_tile(const int R, const float *v, long v_row, const float *p, long cols, float *ot,
                         __m256 c0, __m256 c1) {
    __m256 a0[TR], a1[TR];
    for (int r = 0; r < R; r++) {
        a0[r] = _mm256_mul_ps(_mm256_load_ps(ot + r * BQ), c0);
        a1[r] = _mm256_mul_ps(_mm256_load_ps(ot + r * BQ + 8), c1);
    }
    UNROLL4
    for (long j = 0; j < cols; j++) {
        __m256 x0 = _mm256_load_ps(p + j * BQ), x1 = _mm256_load_ps(p + j * BQ + 8);
        for (int r = 0; r < R; r++) {
            __m256 b = _mm256_broadcast_ss(v + j * v_row + r);
            a0[r] = _mm256_fmadd_ps(b, x0, a0[r]);
            a1[r] = _mm256_fmadd_ps(b, x1, a1[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_store_ps(ot + r * BQ, a0[r]);
        _mm256_store_ps(ot + r * BQ + 8, a1[r]);
    }
}

// The tiles with a compile-time row count, so the accumulators live in registers.
#define DISPATCH_ROWS(R, CALL) \
    switch (R) { \
    case 6: CALL(6); break; case 5: CALL(5); break; case 4: CALL(4); break; \
    case 3: CALL(3); break; case 2: CALL(2); break; default: CALL(1); break; \
    }

/// Applies the general mask terms to a score block (keys k0…k0+cols, queries q0…q0+rows).
static void apply_terms(const attend_attention_block *b, float *s, long ld, long k0, long cols, long rows) {
    for (long t = 0; t < b->term_count; t++) {
        const attend_mask_term *term = &b->terms[t];
        for (long j = 0; j < cols; j++) {
            float *line = s + j * ld;
            long base = (k0 + j) * term->column + b->q0 * term->row;
            if (term->flags) {
                const bool *flags = term->flags + base;
                for (long i = 0; i < rows; i++)
                    if (flags[i * term->row] == term->masked_when) line[i] = -INFINITY;
            } else {
                const float *values = term->values + base;
                for (long i = 0; i < rows; i++) line[i] += values[i * term->row];
            }
        }
    }
}

/// The keys this block can see at all: a causal limit cuts the key range.
static long visible_keys(const attend_attention_block *b) {
    if (!b->causal) return b->lk;
    long last = b->q0 + b->rows - 1 + b->causal_offset;   // last query's last key
    if (last < 0) return 0;
    return last + 1 < b->lk ? last + 1 : b->lk;
}

AVX2 static void block_tiled(const attend_attention_block *b) {
    const long rows = b->rows, dk = b->dk, dv = b->dv;
    const long tiles = (rows + 15) / 16, vectors = 2 * tiles;
    float *qt = b->scratch;                     // dk × BQ
    float *s = qt + dk * BQ;                    // BK × BQ
    float *ot = s + BK * BQ;                    // dv × BQ
    float *m = ot + dv * BQ, *l = m + BQ, *bm = l + BQ, *mu = bm + BQ, *corr = mu + BQ;

    scaled_transposed_queries(b, qt, tiles);
    // Oᵀ zeroed as one memset of the whole buffer: per-feature memsets of 16·tiles floats cost
    // one libc call per feature (64 per block at D = 32, a sixth of a toy (2, 4, 10, 32) call).
    memset(ot, 0, sizeof(float) * (size_t)(dv * BQ));
    for (long i = 0; i < BQ; i++) { m[i] = -INFINITY; l[i] = 0; }

    const long keys = visible_keys(b);
    const bool causal = b->causal;
    for (long k0 = 0; k0 < keys; k0 += BK) {
        const long cols = keys - k0 < BK ? keys - k0 : BK;
        // Diagonal block: some key is beyond the first query's limit.
        const bool diag = causal && k0 + cols - 1 > b->q0 + b->causal_offset;
        for (long i = 0; i < vectors * 8; i += 8) _mm256_store_ps(bm + i, _mm256_set1_ps(-INFINITY));

        // Sᵀ = K_b·Q̃ᵀ, key tiles outer so 6 rows of K are reused across the query tiles.
        for (long j0 = 0; j0 < cols; j0 += TR) {
            const int r = (int)(cols - j0 < TR ? cols - j0 : TR);
            const float *kr = b->k + (k0 + j0) * b->k_row;
            for (long t = 0; t < tiles; t++) {
                __m256 m0 = _mm256_load_ps(bm + 16 * t), m1 = _mm256_load_ps(bm + 16 * t + 8);
                // Query lane i (absolute q0 + 16t + i) may see key k iff k ≤ q0 + 16t + i + offset.
                const int limit0 = (int)(k0 + j0 - b->q0 - b->causal_offset - 16 * t);
#define QK(R) qk_tile(R, kr, b->k_row, qt + 16 * t, dk, s + j0 * BQ + 16 * t, &m0, &m1, diag, limit0, 0)
                DISPATCH_ROWS(r, QK)
#undef QK
                _mm256_store_ps(bm + 16 * t, m0);
                _mm256_store_ps(bm + 16 * t + 8, m1);
            }
        }
        if (b->term_count > 0) {
            apply_terms(b, s, BQ, k0, cols, rows);
            for (long i = 0; i < vectors * 8; i += 8) {
                __m256 best = _mm256_set1_ps(-INFINITY);
                for (long j = 0; j < cols; j++) best = _mm256_max_ps(best, _mm256_load_ps(s + j * BQ + i));
                _mm256_store_ps(bm + i, best);
            }
        }

        // Online softmax, elementwise across queries.
        const __m256 minf = _mm256_set1_ps(-INFINITY);
        for (long i = 0; i < vectors * 8; i += 8) {
            __m256 old = _mm256_load_ps(m + i);
            __m256 next = _mm256_max_ps(old, _mm256_load_ps(bm + i));
            // Every key so far masked: shift by 0 so e^(−∞ − 0) = 0 rather than NaN.
            __m256 shift = _mm256_blendv_ps(next, _mm256_setzero_ps(), _mm256_cmp_ps(next, minf, _CMP_EQ_OQ));
            __m256 cv = exp8_nonpositive(_mm256_sub_ps(old, shift));
            __m256 sum = _mm256_setzero_ps(), shifted = _mm256_setzero_ps();
            for (long j = 0; j < cols; j++) {
                __m256 x = _mm256_sub_ps(_mm256_load_ps(s + j * BQ + i), shift);
                __m256 p = exp8_nonpositive(x);
                _mm256_store_ps(s + j * BQ + i, p);
                sum = _mm256_add_ps(sum, p);
                shifted = _mm256_add_ps(shifted, x);
            }
            // IEEE propagation: x = s − m' is in [−∞, 0] unless a score is NaN or the max is +∞
            // (∞ − ∞), exactly the rows whose materialized softmax is NaN. Their Σx is NaN; l
            // becomes NaN (all bits set) and stays so, so the query's output is NaN, lane by lane.
            __m256 poisoned = _mm256_cmp_ps(shifted, shifted, _CMP_UNORD_Q);
            _mm256_store_ps(l + i, _mm256_or_ps(_mm256_fmadd_ps(_mm256_load_ps(l + i), cv, sum), poisoned));
            _mm256_store_ps(m + i, next);
            _mm256_store_ps(corr + i, cv);
        }

        // Oᵀ = c·Oᵀ + Vᵀ_b·Pᵀ.
        const float *vb = b->v + k0 * b->v_row;
        for (long d0 = 0; d0 < dv; d0 += TR) {
            const int r = (int)(dv - d0 < TR ? dv - d0 : TR);
            for (long t = 0; t < tiles; t++) {
                __m256 c0 = _mm256_load_ps(corr + 16 * t), c1 = _mm256_load_ps(corr + 16 * t + 8);
#define PV(R) pv_tile(R, vb + d0, b->v_row, s + 16 * t, cols, ot + d0 * BQ + 16 * t, c0, c1)
                DISPATCH_ROWS(r, PV)
#undef PV
            }
        }
    }

    // out = Oᵀ · (1/l), transposed once; l = 0 (no visible key) → 0. One division per query
    // (the product rounds once more than o/l would: u·|o|, inside the fused bound).
    for (long i = 0; i < vectors * 8; i += 8) {
        __m256 sum = _mm256_load_ps(l + i);
        __m256 empty = _mm256_cmp_ps(sum, _mm256_setzero_ps(), _CMP_EQ_OQ);
        __m256 inverse = _mm256_andnot_ps(empty, _mm256_div_ps(_mm256_set1_ps(1), _mm256_blendv_ps(sum, _mm256_set1_ps(1), empty)));
        _mm256_store_ps(l + i, inverse);
    }
    normalized_output(b, ot, l);
}

AVX2 INLINE float horizontal_sum(__m256 x) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

AVX2 static void block_matrix_vector(const attend_attention_block *b) {
    const long dk = b->dk, dv = b->dv;
    float *qs = b->scratch;                     // round8(dk), zero-padded
    float *sc = qs + round8(dk);                // BK scores
    float *o = sc + BK;                         // round8(dv) + 32 (whole groups of 32 may be loaded)
    for (long d = 0; d < round8(dk); d++) qs[d] = d < dk ? b->q[d] * b->scale : 0;
    for (long d = 0; d < round8(dv) + 32; d++) o[d] = 0;
    const long dkFull = dk & ~7L;
    const __m256i dkTail = tail_mask(dk - dkFull);

    float m = -INFINITY, l = 0;
    const long keys = visible_keys(b);
    for (long k0 = 0; k0 < keys; k0 += BK) {
        const long cols = keys - k0 < BK ? keys - k0 : BK;
        for (long j = 0; j < cols; j++) {
            const float *kj = b->k + (k0 + j) * b->k_row;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            long d = 0;
            for (; d + 16 <= dkFull; d += 16) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(kj + d), _mm256_loadu_ps(qs + d), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(kj + d + 8), _mm256_loadu_ps(qs + d + 8), a1);
            }
            for (; d < dkFull; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(kj + d), _mm256_loadu_ps(qs + d), a0);
            if (d < dk) a1 = _mm256_fmadd_ps(_mm256_maskload_ps(kj + d, dkTail), _mm256_loadu_ps(qs + d), a1);
            sc[j] = horizontal_sum(_mm256_add_ps(a0, a1));
        }
        if (b->term_count > 0) {
            // One query: the block's scores are a row, ld 1 between keys → pass them as a column.
            for (long t = 0; t < b->term_count; t++) {
                const attend_mask_term *term = &b->terms[t];
                for (long j = 0; j < cols; j++) {
                    long at = (k0 + j) * term->column + b->q0 * term->row;
                    if (term->flags) { if (term->flags[at] == term->masked_when) sc[j] = -INFINITY; }
                    else sc[j] += term->values[at];
                }
            }
        }
        long padded = round8(cols);
        for (long j = cols; j < padded; j++) sc[j] = -INFINITY;
        __m256 best = _mm256_set1_ps(-INFINITY), unordered = _mm256_setzero_ps();
        for (long j = 0; j < padded; j += 8) {
            __m256 x = _mm256_loadu_ps(sc + j);
            best = _mm256_max_ps(best, x);
            unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, best);
        float next = m;
        for (int i = 0; i < 8; i++) next = lanes[i] > next ? lanes[i] : next;
        if (!_mm256_testz_ps(unordered, unordered) || next == INFINITY) {
            // A NaN score, or a +∞ one (∞ − ∞ in the softmax): the materialized row is NaN.
            for (long d = 0; d < dv; d++) b->out[d] = NAN;
            return;
        }
        if (next == -INFINITY) continue;       // every key so far masked: nothing accumulates
        const __m256 shift = _mm256_set1_ps(next);
        __m256 sum = _mm256_setzero_ps();
        for (long j = 0; j < padded; j += 8) {
            __m256 p = exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(sc + j), shift));
            _mm256_storeu_ps(sc + j, p);
            sum = _mm256_add_ps(sum, p);
        }
        float cv = _mm256_cvtss_f32(exp8_nonpositive(_mm256_set1_ps(m - next)));
        l = l * cv + horizontal_sum(sum);
        m = next;
        // o = c·o + Σ_j p_j·v_j, 32 features at a time in registers.
        const float *vb = b->v + k0 * b->v_row;
        const __m256 cvv = _mm256_set1_ps(cv);
        for (long d0 = 0; d0 < dv; d0 += 32) {
            const long width = dv - d0 < 32 ? dv - d0 : 32;
            const long full = width & ~7L;
            const __m256i rest = tail_mask(width - full);
            if (full == 32) {
                // Four named accumulators stay in registers (an indexed array was kept on the stack:
                // a store-to-load round trip in every FMA chain, perf's hottest (1,8,512,64) lines).
                __m256 a0 = _mm256_mul_ps(_mm256_loadu_ps(o + d0), cvv);
                __m256 a1 = _mm256_mul_ps(_mm256_loadu_ps(o + d0 + 8), cvv);
                __m256 a2 = _mm256_mul_ps(_mm256_loadu_ps(o + d0 + 16), cvv);
                __m256 a3 = _mm256_mul_ps(_mm256_loadu_ps(o + d0 + 24), cvv);
                for (long j = 0; j < cols; j++) {
                    const float *vj = vb + j * b->v_row + d0;
                    __m256 p = _mm256_broadcast_ss(sc + j);
                    a0 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj), a0);
                    a1 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8), a1);
                    a2 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 16), a2);
                    a3 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 24), a3);
                }
                _mm256_storeu_ps(o + d0, a0);
                _mm256_storeu_ps(o + d0 + 8, a1);
                _mm256_storeu_ps(o + d0 + 16, a2);
                _mm256_storeu_ps(o + d0 + 24, a3);
                continue;
            }
            __m256 a[4];
            for (int g = 0; g < 4; g++) a[g] = _mm256_mul_ps(_mm256_loadu_ps(o + d0 + 8 * g), cvv);
            for (long j = 0; j < cols; j++) {
                const float *vj = vb + j * b->v_row + d0;
                __m256 p = _mm256_broadcast_ss(sc + j);
                int g = 0;
                for (; 8 * g < full; g++) a[g] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8 * g), a[g]);
                if (full < width) a[g] = _mm256_fmadd_ps(p, _mm256_maskload_ps(vj + 8 * g, rest), a[g]);
            }
            for (int g = 0; 8 * g < width; g++) _mm256_storeu_ps(o + d0 + 8 * g, a[g]);
        }
    }
    float *out = b->out;
    for (long d = 0; d < dv; d++) out[d] = l == 0 ? 0 : o[d] / l;
}

AVX2 void attend_attention_avx2(const attend_attention_block *block) {
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);   // FTZ (bit 15) | DAZ (bit 6)
    if (block->rows == 1) block_matrix_vector(block);
    else block_tiled(block);
    _mm_setcsr(saved);
}

#else
long attend_attention_avx2_scratch_floats(long dk, long dv) { (void)dk; (void)dv; return 0; }
void attend_attention_avx2(const attend_attention_block *block) { (void)block; }
unsigned attend_read_mxcsr(void) { return 0; }
void attend_write_mxcsr(unsigned value) { (void)value; }
#endif
