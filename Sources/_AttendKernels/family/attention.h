// Fused attention, written once against the vector vocabulary (FlashAttention's schedule with
// transposed scores; queries are the vector dimension). Each kernels_<isa>.c sets the geometry
// (ATTENTION_TILE_ROWS, ATTENTION_QUERY_BLOCK, ATTENTION_KEY_BLOCK) and includes this file.
//
// For one block of up to BQ queries of one batch entry (TQ = 2·VF_LANES queries per register tile):
//
//   Q̃ᵀ[d][i] = q[i][d] · scale                   (dk × BQ, zero-padded columns; the only copy)
//   m = −∞, l = 0, Oᵀ = 0                         (per query: vectors across the queries)
//   for each key block K_b, V_b of ≤ BK keys (read in place; blocks past a causal limit skipped):
//       Sᵀ = K_b · Q̃ᵀ                             register tiles TR keys × TQ queries, 2·TR
//                                                 accumulators; epilogue: causal mask by index
//                                                 compare on the diagonal block, block max m_b
//       (other masks: set −∞ / add the mask, then m_b again)
//       m' = max(m, m_b);  c = e^(m − m');  Pᵀ = e^(Sᵀ − m')   elementwise across queries
//       l = c·l + Σ_keys Pᵀ;  Oᵀ = c·Oᵀ + Vᵀ_b·Pᵀ   register tiles TR features × TQ queries
//       m = m'
//   out[i][:] = Oᵀ[:][i] / l[i]                   (l = 0, every key masked → 0)
//
// No tile reads past an operand: K and V are read by scalar broadcasts, Q and the output by
// masked loads and stores at the feature tail, and the tiles read by vectors only the zero-padded
// Q̃ᵀ and the kernel's own scratch.
//
// Non-finite inputs propagate as in the materialized softmax, query by query: a NaN score, or a
// +∞ one (whose shift gives ∞ − ∞), makes that query's normalizer l NaN, hence its whole output
// row; −∞ scores are masked keys. So the kernel needs no finiteness pre-pass over Q or K. V is
// multiplied by every weight of a block it reads, zeros included: a NaN or ∞ in V at a masked key
// reaches the output (0·NaN, as in the materialized P·V product) unless the key lies past a causal
// limit, where no block reads it.
//
// One query (decode: Lq = 1 against a long history) is a matrix-vector problem bound by reading
// K and V once: dot products along d (masked loads for the dk tail), one exp pass per key block,
// then o += p_j·v_j along d, 4·VF_LANES features at a time in named registers.
#ifndef ATTEND_FAMILY_ATTENTION_H
#define ATTEND_FAMILY_ATTENTION_H

#include <math.h>
#include <string.h>

#define BQ ATTENTION_QUERY_BLOCK
#define BK ATTENTION_KEY_BLOCK
#define TR ATTENTION_TILE_ROWS
#define TQ (2 * VF_LANES)
#define DG (4 * VF_LANES)  // decode: output features per register group

_Static_assert(BQ % TQ == 0, "the query block is a whole number of register tiles");
_Static_assert(BK % VF_LANES == 0, "the key block is a whole number of vectors");

// The register-tile loops run 64–128 times per tile: unrolled four times, the loop branch and the
// pointer updates are a quarter of the work between the FMAs.
// ATTENTION_UNROLL (default 4) sets the count per instance. The loops over a tile's rows are
// unrolled fully, so the 2·TR accumulators are registers, not a stack array (clang leaves loops of
// 10 or more rows rolled otherwise).
#ifndef ATTENTION_UNROLL
#define ATTENTION_UNROLL 4
#endif
#if defined(__clang__)
#define PRAGMA(x) _Pragma(#x)
#define UNROLL_BY(n) PRAGMA(clang loop unroll_count(n))
#define UNROLL_KEYS UNROLL_BY(ATTENTION_UNROLL)
#define UNROLL_FULL _Pragma("clang loop unroll(full)")
#else
#define UNROLL_KEYS
#define UNROLL_FULL
#endif

static long round_lanes(long n) { return (n + VF_LANES - 1) / VF_LANES * VF_LANES; }

static long attention_scratch_floats(long dk, long dv) {
    // Q̃ᵀ, Sᵀ, Oᵀ, five per-query vectors; decode: q̃, scores, o (whole register groups).
    return (long)BQ * (dk + BK + dv + 5) + round_lanes(dk) + BK + round_lanes(dv) + DG + VF_LANES;
}

/// Q̃ᵀ[d][i] = q[i][d]·scale for i < rows, 0 for the padded columns up to TQ·tiles, by
/// VF_LANES × VF_LANES transposes in registers: rows are read with masked loads at the dk tail,
/// never past their end.
static void scaled_transposed_queries(const attend_attention_block *b, float *qt, long tiles) {
    const long rows = b->rows, dk = b->dk;
    const vf scale = vf_set1(b->scale);
    for (long i0 = 0; i0 < TQ * tiles; i0 += VF_LANES) {
        for (long d0 = 0; d0 < dk; d0 += VF_LANES) {
            const long width = dk - d0 < VF_LANES ? dk - d0 : VF_LANES;
            vf x[VF_LANES];
            for (int r = 0; r < VF_LANES; r++) {
                const float *row = b->q + (i0 + r) * b->q_row + d0;
                x[r] = i0 + r >= rows ? vf_zero()
                     : vf_mul(width == VF_LANES ? vf_loadu(row) : vf_load_n(row, width), scale);
            }
            vf_transpose(x);
            for (int c = 0; c < width; c++) vf_store(qt + (d0 + c) * BQ + i0, x[c]);
        }
    }
}

/// out[i][d] = Oᵀ[d][i]·inverse[i] for i < rows, by VF_LANES × VF_LANES transposes; masked
/// stores at the dv tail.
static void normalized_output(const attend_attention_block *b, const float *ot, const float *inverse) {
    const long rows = b->rows, dv = b->dv;
    for (long i0 = 0; i0 < rows; i0 += VF_LANES) {
        const vf scale = vf_load(inverse + i0);
        const long height = rows - i0 < VF_LANES ? rows - i0 : VF_LANES;
        for (long d0 = 0; d0 < dv; d0 += VF_LANES) {
            const long width = dv - d0 < VF_LANES ? dv - d0 : VF_LANES;
            vf x[VF_LANES];
            for (int c = 0; c < VF_LANES; c++)
                x[c] = c < width ? vf_mul(vf_load(ot + (d0 + c) * BQ + i0), scale) : vf_zero();
            vf_transpose(x);
            for (int r = 0; r < height; r++) {
                float *row = b->out + (i0 + r) * b->out_row + d0;
                if (width == VF_LANES) vf_storeu(row, x[r]);
                else vf_store_n(row, x[r], width);
            }
        }
    }
}

/// Sᵀ[R keys][TQ queries] = K[R rows]·Q̃ᵀ[:, TQ]; stores the tile and folds it into the block max.
/// diag: key r is masked for query lanes i < limit0 + r (causal, index compare).
VF_INLINE void qk_tile(const int R, const float *k, long k_row, const float *qt, long dk, float *s, vf *max0,
                       vf *max1, bool diag, long limit0) {
    vf a0[TR], a1[TR];
    UNROLL_FULL
    for (int r = 0; r < R; r++) a0[r] = a1[r] = vf_zero();
    UNROLL_KEYS
    for (long d = 0; d < dk; d++) {
        vf x0 = vf_load(qt + d * BQ), x1 = vf_load(qt + d * BQ + VF_LANES);
        UNROLL_FULL
        for (int r = 0; r < R; r++) {
            vf w = vf_broadcast(k + r * k_row + d);
            a0[r] = vf_fma(w, x0, a0[r]);
            a1[r] = vf_fma(w, x1, a1[r]);
        }
    }
    if (diag) {
        const vf minf = vf_set1(-INFINITY);
        const vf lanes0 = vf_iota(), lanes1 = vf_add(lanes0, vf_set1((float)VF_LANES));
        UNROLL_FULL
        for (int r = 0; r < R; r++) {
            // Clamped to [−1, TQ] (same comparisons against lanes 0 … TQ − 1, exact as a float).
            long limit = limit0 + r < -1 ? -1 : limit0 + r > TQ ? TQ : limit0 + r;
            const vf bound = vf_set1((float)limit);
            a0[r] = vf_select(vf_lt(lanes0, bound), minf, a0[r]);
            a1[r] = vf_select(vf_lt(lanes1, bound), minf, a1[r]);
        }
    }
    vf m0 = *max0, m1 = *max1;
    UNROLL_FULL
    for (int r = 0; r < R; r++) {
        vf_store(s + r * BQ, a0[r]);
        vf_store(s + r * BQ + VF_LANES, a1[r]);
        m0 = vf_max(m0, a0[r]);
        m1 = vf_max(m1, a1[r]);
    }
    *max0 = m0;
    *max1 = m1;
}

/// Oᵀ[R features][TQ queries] = c·Oᵀ + Vᵀ[R features, keys]·Pᵀ[keys, TQ].
VF_INLINE void pv_tile(const int R, const float *v, long v_row, const float *p, long cols, float *ot, vf c0, vf c1) {
    vf a0[TR], a1[TR];
    UNROLL_FULL
    for (int r = 0; r < R; r++) {
        a0[r] = vf_mul(vf_load(ot + r * BQ), c0);
        a1[r] = vf_mul(vf_load(ot + r * BQ + VF_LANES), c1);
    }
    UNROLL_KEYS
    for (long j = 0; j < cols; j++) {
        vf x0 = vf_load(p + j * BQ), x1 = vf_load(p + j * BQ + VF_LANES);
        UNROLL_FULL
        for (int r = 0; r < R; r++) {
            vf w = vf_broadcast(v + j * v_row + r);
            a0[r] = vf_fma(w, x0, a0[r]);
            a1[r] = vf_fma(w, x1, a1[r]);
        }
    }
    UNROLL_FULL
    for (int r = 0; r < R; r++) {
        vf_store(ot + r * BQ, a0[r]);
        vf_store(ot + r * BQ + VF_LANES, a1[r]);
    }
}

// The tiles with a compile-time row count (R ≤ TR), so the accumulators live in registers. Case
// labels above TR are unreachable; they are clamped so they instantiate nothing larger than TR.
#define ROWS_UPTO(n) ((n) <= TR ? (n) : TR)
#define DISPATCH_ROWS(R, CALL) \
    switch (R) { \
    case 16: CALL(ROWS_UPTO(16)); break; case 15: CALL(ROWS_UPTO(15)); break; \
    case 14: CALL(ROWS_UPTO(14)); break; case 13: CALL(ROWS_UPTO(13)); break; \
    case 12: CALL(ROWS_UPTO(12)); break; case 11: CALL(ROWS_UPTO(11)); break; \
    case 10: CALL(ROWS_UPTO(10)); break; case 9: CALL(ROWS_UPTO(9)); break; \
    case 8: CALL(ROWS_UPTO(8)); break; case 7: CALL(ROWS_UPTO(7)); break; \
    case 6: CALL(ROWS_UPTO(6)); break; case 5: CALL(ROWS_UPTO(5)); break; \
    case 4: CALL(ROWS_UPTO(4)); break; case 3: CALL(ROWS_UPTO(3)); break; \
    case 2: CALL(ROWS_UPTO(2)); break; default: CALL(1); break; \
    }
_Static_assert(TR <= 16, "DISPATCH_ROWS covers tiles of up to 16 rows");

/// Applies the general mask terms to a score block (keys k0 … k0 + cols, queries q0 … q0 + rows),
/// the block stored key-major with `ld` floats between keys. An excluded key is −∞ whatever its
/// additive value (the reference's `allowed ? s + bias : −∞`): additive terms are applied first,
/// skipping keys past the causal limit (already −∞ from the tile epilogue), then the flags.
static void apply_terms(const attend_attention_block *b, float *s, long ld, long k0, long cols, long rows) {
    for (int flags_pass = 0; flags_pass < 2; flags_pass++) {
        for (long t = 0; t < b->term_count; t++) {
            const attend_mask_term *term = &b->terms[t];
            if ((term->flags != 0) != flags_pass) continue;
            for (long j = 0; j < cols; j++) {
                float *line = s + j * ld;
                long base = (k0 + j) * term->column + b->q0 * term->row;
                if (term->flags) {
                    const bool *flags = term->flags + base;
                    for (long i = 0; i < rows; i++)
                        if (flags[i * term->row] == term->masked_when) line[i] = -INFINITY;
                } else {
                    const float *values = term->values + base;
                    // Query i sees key k0 + j iff k0 + j ≤ q0 + i + offset.
                    long first = b->causal ? k0 + j - b->q0 - b->causal_offset : 0;
                    for (long i = first < 0 ? 0 : first; i < rows; i++) line[i] += values[i * term->row];
                }
            }
        }
    }
}

/// The keys this block can see at all: a causal limit cuts the key range.
static long visible_keys(const attend_attention_block *b) {
    if (!b->causal) return b->lk;
    long last = b->q0 + b->rows - 1 + b->causal_offset;  // last query's last key
    if (last < 0) return 0;
    return last + 1 < b->lk ? last + 1 : b->lk;
}

static void attention_tiled(const attend_attention_block *b) {
    const long rows = b->rows, dk = b->dk, dv = b->dv;
    const long tiles = (rows + TQ - 1) / TQ, width = TQ * tiles;
    float *qt = b->scratch;   // dk × BQ
    float *s = qt + dk * BQ;  // BK × BQ
    float *ot = s + BK * BQ;  // dv × BQ
    float *m = ot + dv * BQ, *l = m + BQ, *bm = l + BQ, *corr = bm + BQ;

    scaled_transposed_queries(b, qt, tiles);
    memset(ot, 0, sizeof(float) * (size_t)(dv * BQ));
    for (long i = 0; i < BQ; i++) {
        m[i] = -INFINITY;
        l[i] = 0;
    }

    const long keys = visible_keys(b);
    const vf minf = vf_set1(-INFINITY);
    for (long k0 = 0; k0 < keys; k0 += BK) {
        const long cols = keys - k0 < BK ? keys - k0 : BK;
        // Diagonal block: some key is beyond the first query's limit.
        const bool diag = b->causal && k0 + cols - 1 > b->q0 + b->causal_offset;
        for (long i = 0; i < width; i += VF_LANES) vf_store(bm + i, minf);

        // Sᵀ = K_b·Q̃ᵀ, key tiles outer so TR rows of K are reused across the query tiles.
        for (long j0 = 0; j0 < cols; j0 += TR) {
            const int r = (int)(cols - j0 < TR ? cols - j0 : TR);
            const float *kr = b->k + (k0 + j0) * b->k_row;
            for (long t = 0; t < tiles; t++) {
                vf m0 = vf_load(bm + TQ * t), m1 = vf_load(bm + TQ * t + VF_LANES);
                // Query lane i (absolute q0 + TQ·t + i) may see key k iff k ≤ q0 + TQ·t + i + offset.
                const long limit0 = k0 + j0 - b->q0 - b->causal_offset - TQ * t;
#define QK(R) qk_tile(R, kr, b->k_row, qt + TQ * t, dk, s + j0 * BQ + TQ * t, &m0, &m1, diag, limit0)
                DISPATCH_ROWS(r, QK)
#undef QK
                vf_store(bm + TQ * t, m0);
                vf_store(bm + TQ * t + VF_LANES, m1);
            }
        }
        if (b->term_count > 0) {
            apply_terms(b, s, BQ, k0, cols, rows);
            for (long i = 0; i < width; i += VF_LANES) {
                vf best = minf;
                for (long j = 0; j < cols; j++) best = vf_max(best, vf_load(s + j * BQ + i));
                vf_store(bm + i, best);
            }
        }

        // Online softmax, elementwise across queries.
        for (long i = 0; i < width; i += VF_LANES) {
            vf old = vf_load(m + i);
            vf next = vf_max(old, vf_load(bm + i));
            // Every key so far masked: shift by 0 so e^(−∞ − 0) = 0 rather than NaN.
            vf shift = vf_select(vf_eq(next, minf), vf_zero(), next);
            vf c = vf_exp_nonpositive(vf_sub(old, shift));
            vf sum = vf_zero(), shifted = vf_zero();
            for (long j = 0; j < cols; j++) {
                vf x = vf_sub(vf_load(s + j * BQ + i), shift);
                vf p = vf_exp_nonpositive(x);
                vf_store(s + j * BQ + i, p);
                sum = vf_add(sum, p);
                shifted = vf_add(shifted, x);
            }
            // IEEE propagation: x = s − m' is in [−∞, 0] unless a score is NaN or the max is +∞
            // (∞ − ∞), exactly the rows whose materialized softmax is NaN. Their Σx is NaN; l
            // becomes NaN and stays so, so the query's output is NaN, lane by lane.
            vf updated = vf_fma(vf_load(l + i), c, sum);
            vf_store(l + i, vf_select(vf_is_nan(shifted), shifted, updated));
            vf_store(m + i, next);
            vf_store(corr + i, c);
        }

        // Oᵀ = c·Oᵀ + Vᵀ_b·Pᵀ.
        const float *vb = b->v + k0 * b->v_row;
        for (long d0 = 0; d0 < dv; d0 += TR) {
            const int r = (int)(dv - d0 < TR ? dv - d0 : TR);
            for (long t = 0; t < tiles; t++) {
                vf c0 = vf_load(corr + TQ * t), c1 = vf_load(corr + TQ * t + VF_LANES);
#define PV(R) pv_tile(R, vb + d0, b->v_row, s + TQ * t, cols, ot + d0 * BQ + TQ * t, c0, c1)
                DISPATCH_ROWS(r, PV)
#undef PV
            }
        }
    }

    // out = Oᵀ · (1/l); l = 0 (no visible key) → 0. One division per query (the product rounds
    // once more than o/l would: u·|o|, inside the fused bound).
    const vf one = vf_set1(1);
    for (long i = 0; i < width; i += VF_LANES) {
        vf sum = vf_load(l + i);
        vm empty = vf_eq(sum, vf_zero());
        vf_store(l + i, vf_select(empty, vf_zero(), vf_div(one, vf_select(empty, one, sum))));
    }
    normalized_output(b, ot, l);
}

/// The largest of `count` floats held in whole vectors, or `start` if larger.
static float lanes_max(vf x, float start) {
    float lanes[VF_LANES];
    vf_storeu(lanes, x);
    float best = start;
    for (int i = 0; i < VF_LANES; i++) best = lanes[i] > best ? lanes[i] : best;
    return best;
}

static void attention_matrix_vector(const attend_attention_block *b) {
    const long dk = b->dk, dv = b->dv;
    float *qs = b->scratch;           // round_lanes(dk), zero-padded
    float *sc = qs + round_lanes(dk); // BK scores
    float *o = sc + BK;               // round_lanes(dv) + DG (whole register groups may be loaded)
    for (long d = 0; d < round_lanes(dk); d++) qs[d] = d < dk ? b->q[d] * b->scale : 0;
    for (long d = 0; d < round_lanes(dv) + DG; d++) o[d] = 0;
    const long dk_full = dk / VF_LANES * VF_LANES;

    float m = -INFINITY, l = 0;
    const long keys = visible_keys(b);
    for (long k0 = 0; k0 < keys; k0 += BK) {
        const long cols = keys - k0 < BK ? keys - k0 : BK;
        for (long j = 0; j < cols; j++) {
            const float *kj = b->k + (k0 + j) * b->k_row;
            vf a0 = vf_zero(), a1 = vf_zero();
            long d = 0;
            for (; d + 2 * VF_LANES <= dk_full; d += 2 * VF_LANES) {
                a0 = vf_fma(vf_loadu(kj + d), vf_loadu(qs + d), a0);
                a1 = vf_fma(vf_loadu(kj + d + VF_LANES), vf_loadu(qs + d + VF_LANES), a1);
            }
            for (; d < dk_full; d += VF_LANES) a0 = vf_fma(vf_loadu(kj + d), vf_loadu(qs + d), a0);
            if (d < dk) a1 = vf_fma(vf_load_n(kj + d, dk - d), vf_loadu(qs + d), a1);
            sc[j] = vf_reduce_add(vf_add(a0, a1));
        }
        // One query: the block's scores are a row, one float between keys.
        apply_terms(b, sc, 1, k0, cols, 1);
        const long padded = round_lanes(cols);
        for (long j = cols; j < padded; j++) sc[j] = -INFINITY;
        vf best = vf_set1(-INFINITY);
        vm unordered = vm_none();
        for (long j = 0; j < padded; j += VF_LANES) {
            vf x = vf_loadu(sc + j);
            best = vf_max(best, x);
            unordered = vm_or(unordered, vf_is_nan(x));
        }
        const float next = lanes_max(best, m);
        if (vm_any(unordered) || next == INFINITY) {
            // A NaN score, or a +∞ one (∞ − ∞ in the softmax): the materialized row is NaN.
            for (long d = 0; d < dv; d++) b->out[d] = NAN;
            return;
        }
        if (next == -INFINITY) continue;  // every key so far masked: nothing accumulates
        const vf shift = vf_set1(next);
        vf sum = vf_zero();
        for (long j = 0; j < padded; j += VF_LANES) {
            vf p = vf_exp_nonpositive(vf_sub(vf_loadu(sc + j), shift));
            vf_storeu(sc + j, p);
            sum = vf_add(sum, p);
        }
        float c_lanes[VF_LANES];
        vf_storeu(c_lanes, vf_exp_nonpositive(vf_set1(m - next)));
        const float c = c_lanes[0];
        l = l * c + vf_reduce_add(sum);
        m = next;
        // o = c·o + Σ_j p_j·v_j, DG features at a time in registers.
        const float *vb = b->v + k0 * b->v_row;
        const vf cv = vf_set1(c);
        for (long d0 = 0; d0 < dv; d0 += DG) {
            const long width = dv - d0 < DG ? dv - d0 : DG;
            // Four named accumulators stay in registers (an indexed array may be kept on the
            // stack: a store-to-load round trip in every FMA chain).
            vf a0 = vf_mul(vf_loadu(o + d0), cv);
            vf a1 = vf_mul(vf_loadu(o + d0 + VF_LANES), cv);
            vf a2 = vf_mul(vf_loadu(o + d0 + 2 * VF_LANES), cv);
            vf a3 = vf_mul(vf_loadu(o + d0 + 3 * VF_LANES), cv);
            if (width == DG) {
                for (long j = 0; j < cols; j++) {
                    const float *vj = vb + j * b->v_row + d0;
                    vf p = vf_broadcast(sc + j);
                    a0 = vf_fma(p, vf_loadu(vj), a0);
                    a1 = vf_fma(p, vf_loadu(vj + VF_LANES), a1);
                    a2 = vf_fma(p, vf_loadu(vj + 2 * VF_LANES), a2);
                    a3 = vf_fma(p, vf_loadu(vj + 3 * VF_LANES), a3);
                }
            } else {
                // The last, partial group: lanes past dv are loaded as 0 (never read from V).
                for (long j = 0; j < cols; j++) {
                    const float *vj = vb + j * b->v_row + d0;
                    vf p = vf_broadcast(sc + j);
                    a0 = vf_fma(p, vf_load_n(vj, width), a0);
                    a1 = vf_fma(p, vf_load_n(vj + VF_LANES, width - VF_LANES), a1);
                    a2 = vf_fma(p, vf_load_n(vj + 2 * VF_LANES, width - 2 * VF_LANES), a2);
                    a3 = vf_fma(p, vf_load_n(vj + 3 * VF_LANES, width - 3 * VF_LANES), a3);
                }
            }
            vf_storeu(o + d0, a0);
            vf_storeu(o + d0 + VF_LANES, a1);
            vf_storeu(o + d0 + 2 * VF_LANES, a2);
            vf_storeu(o + d0 + 3 * VF_LANES, a3);
        }
    }
    for (long d = 0; d < dv; d++) b->out[d] = l == 0 ? 0 : o[d] / l;
}

static void attention(const attend_attention_block *block) {
    const unsigned saved = vf_enter_ftz();
    if (block->rows == 1) attention_matrix_vector(block);
    else attention_tiled(block);
    vf_leave_ftz(saved);
}

#undef BQ
#undef BK
#undef TR
#undef TQ
#undef DG
#endif
