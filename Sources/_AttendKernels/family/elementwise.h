// The row passes that follow a GEMM in a transformer layer, written once against the vector
// vocabulary: a bias with an activation (ReLU or the exact GELU), and a bias plus a residual plus
// LayerNorm. Each reads and writes every element once per pass over rows that stay in L1/L2.
//
// GELU (erf form) in Float:
//
//   GELU(x) = x·Φ(x),  Φ(x) = ½·erfc(−x/√2) = x < 0 ? h : 1 − h,  h = ½·erfc(|x|/√2)
//   erfc(z) = e^(−z²) · Q(t),  t = 1/(1 + 0.5·z),  Q a degree-10 polynomial in t
//
// Q is a least-squares fit of erfc(z)·e^(z²) at 5,000 Chebyshev nodes on z ∈ [0, 9.9], relative error
// ≤ 3.3 u including its Float evaluation. e^(−z²) is evaluated without rounding z²: |x| is split
// (Veltkamp, x_hi with 12 significant bits) so that x² = x_hi² + (2·x_hi·x_lo + x_lo²), the first
// term exact, and the exp reduces its argument with the small part added after the exact
// subtraction (exp_reduce). So erfc carries ≤ ~8 u relative error whatever |x| (without the
// split, rounding z² alone costs z²·u: 87 u at the underflow edge), and GELU ≤ 12 u relative
// (ErrorBounds.familyGELU, checked per path against the reference in KernelFamilyTests).
// |x| ≥ 14: erfc(|x|/√2) < 10⁻⁴³ is taken as 0, so GELU(x) = x for x ≥ 14, and −0 for x ≤ −14
// (the exact value is below 10⁻⁴¹ in magnitude). NaN gives NaN, +∞ gives +∞, −∞ gives NaN (−∞·0,
// as 0.5·x·(1 + erf(x/√2)) does in IEEE arithmetic, which is what PyTorch computes).
#ifndef ATTEND_FAMILY_ELEMENTWISE_H
#define ATTEND_FAMILY_ELEMENTWISE_H

/// GELU(x) = x·Φ(x), the erf form (see the header comment for the method and its accuracy).
VF_INLINE vf vf_gelu(vf x) {
    const vf zero = vf_zero();
    const vf magnitude = vf_max(x, vf_sub(zero, x));  // |x|; NaN stays NaN (second operand)
    const vf a = vf_min(vf_set1(14.0f), magnitude);   // NaN stays NaN
    // Veltkamp split: a = a_hi + a_lo exactly, a_hi with 12 significant bits, so a_hi² is exact.
    const vf c = vf_mul(a, vf_set1(4097.0f));
    const vf a_hi = vf_sub(c, vf_sub(c, a));
    const vf a_lo = vf_sub(a, a_hi);
    const vf square_hi = vf_mul(a_hi, a_hi);
    const vf square_lo = vf_fma(vf_add(a_hi, a_hi), a_lo, vf_mul(a_lo, a_lo));
    // e^(−a²/2) = e^(−square_hi/2 − square_lo/2); below −87.33 it underflows to 0.
    const vf v = vf_mul(square_hi, vf_set1(-0.5f));
    vf t_bits, n;
    const vf reduced = exp_polynomial(vf_add(exp_reduce(v, &t_bits, &n), vf_mul(square_lo, vf_set1(-0.5f))));
    const vf e = vf_select(vf_lt(v, vf_set1(-87.33f)), zero, vf_scale_pow2(reduced, t_bits, n));
    // Q(t), t = 1/(1 + 0.5·z) = 1/(1 + (0.5/√2)·a).
    const vf t = vf_div(vf_set1(1.0f), vf_fma(a, vf_set1(3.535533845e-1f), vf_set1(1.0f)));
    vf q = vf_set1(2.714235708e-02f);
    q = vf_fma(q, t, vf_set1(-2.064588666e-01f));
    q = vf_fma(q, t, vf_set1(6.321636438e-01f));
    q = vf_fma(q, t, vf_set1(-9.544519186e-01f));
    q = vf_fma(q, t, vf_set1(6.731823683e-01f));
    q = vf_fma(q, t, vf_set1(-2.454586178e-01f));
    q = vf_fma(q, t, vf_set1(2.828027606e-01f));
    q = vf_fma(q, t, vf_set1(2.240173370e-01f));
    q = vf_fma(q, t, vf_set1(2.852005363e-01f));
    q = vf_fma(q, t, vf_set1(2.818520665e-01f));
    q = vf_fma(q, t, vf_set1(8.272726518e-06f));
    const vf h = vf_mul(vf_mul(q, e), vf_set1(0.5f));  // ½·erfc(|x|/√2)
    const vf phi = vf_select(vf_lt(x, zero), h, vf_sub(vf_set1(1.0f), h));
    return vf_mul(x, phi);
}

VF_INLINE vf activate(vf x, attend_activation kind) {
    if (kind == ATTEND_ACTIVATION_RELU) return vf_select(vf_lt(x, vf_zero()), vf_zero(), x);  // NaN stays NaN
    if (kind == ATTEND_ACTIVATION_GELU) return vf_gelu(x);
    return x;
}

/// The VF_LANES (or, at a row's tail, n < VF_LANES) floats at p; the others load as 0.
VF_INLINE vf load_part(const float *p, long n) { return n >= VF_LANES ? vf_loadu(p) : vf_load_n(p, n); }
VF_INLINE void store_part(float *p, vf x, long n) {
    if (n >= VF_LANES) vf_storeu(p, x);
    else vf_store_n(p, x, n);
}

/// x[r·stride + c] ← act(x[r·stride + c] + bias[c]) for r < rows, c < cols (bias may be NULL).
static void bias_activation(float *x, long rows, long cols, long stride, const float *bias,
                            attend_activation kind) {
    for (long r = 0; r < rows; r++) {
        float *row = x + r * stride;
        for (long c = 0; c < cols; c += VF_LANES) {
            const long n = cols - c;
            vf v = load_part(row + c, n);
            if (bias) v = vf_add(v, load_part(bias + c, n));
            store_part(row + c, activate(v, kind), n);
        }
    }
}

/// One LayerNorm row over v = (x + bias) + residual (bias and residual may be NULL), n = cols:
///
///   m = Σv / n,  s = Σ(v − m)² / n,  out = (v − m) / √(s + eps) · gamma + beta
///
/// with the sums accumulated in VF_LANES Float lanes (then vf_reduce_add): a fixed order per path,
/// independent of the other rows. v is staged in out; out may alias x or residual (every element
/// is read before it is written). gamma and beta may be NULL (1 and 0).
static void residual_layernorm_row(float *out, const float *x, const float *residual, const float *bias,
                                   const float *gamma, const float *beta, long cols, float eps) {
    vf total = vf_zero();
    for (long c = 0; c < cols; c += VF_LANES) {
        const long n = cols - c;
        vf v = load_part(x + c, n);
        if (bias) v = vf_add(v, load_part(bias + c, n));
        if (residual) v = vf_add(v, load_part(residual + c, n));
        store_part(out + c, v, n);
        total = vf_add(total, v);
    }
    const float mean = vf_reduce_add(total) / (float)cols;
    const vf m = vf_set1(mean);
    vf squares = vf_zero();
    for (long c = 0; c < cols; c += VF_LANES) {
        const long n = cols - c;
        vf d = vf_sub(load_part(out + c, n), m);
        if (n < VF_LANES) d = vf_select(vf_lt(vf_iota(), vf_set1((float)n)), d, vf_zero());
        squares = vf_fma(d, d, squares);
    }
    const float variance = vf_reduce_add(squares) / (float)cols;
    const vf inverse = vf_set1(1.0f / sqrtf(variance + eps));
    for (long c = 0; c < cols; c += VF_LANES) {
        const long n = cols - c;
        vf y = vf_mul(vf_sub(load_part(out + c, n), m), inverse);
        if (gamma) y = vf_mul(y, load_part(gamma + c, n));
        if (beta) y = vf_add(y, load_part(beta + c, n));
        store_part(out + c, y, n);
    }
}

/// residual_layernorm_row over rows r < rows: out + r·out_stride from x + r·x_stride and
/// residual + r·residual_stride.
static void residual_layernorm(float *out, long out_stride, const float *x, long x_stride, const float *residual,
                               long residual_stride, const float *bias, const float *gamma, const float *beta,
                               long rows, long cols, float eps) {
    for (long r = 0; r < rows; r++)
        residual_layernorm_row(out + r * out_stride, x + r * x_stride,
                               residual ? residual + r * residual_stride : NULL, bias, gamma, beta, cols, eps);
}

#endif
