// exp, written once against the vector vocabulary (vocabulary/vocabulary.h):
//
//   exp(v) = 2ⁿ · eʳ,  n = round(v·log₂e) by the 1.5·2²³ trick (t = v·log₂e + 1.5·2²³ holds n in its
//   low mantissa bits), r = v − n·ln2 with ln2 in two parts (the first, 0.693359375, has 9
//   significant bits, so n·ln2_hi is exact), eʳ by the Cephes degree-6 polynomial on
//   [−ln2/2, ln2/2], and 2ⁿ applied exactly by vf_scale_pow2.
//
// Accuracy ≤ 2 ulp against exp in double on [−87.3, 88] (KernelFamilyTests, per path). Scores stay in
// natural units: folding log₂e into the queries would save one FMA per vector but round every
// logit once more, an extra relative error u·|s − m| per weight (measured: 48 ulp at s − m = −80).
#ifndef ATTEND_FAMILY_EXP_H
#define ATTEND_FAMILY_EXP_H

/// eʳ on [−ln2/2, ln2/2]: the Cephes degree-6 polynomial.
VF_INLINE vf exp_polynomial(vf r) {
    vf p = vf_set1(1.9875691500e-4f);
    p = vf_fma(p, r, vf_set1(1.3981999507e-3f));
    p = vf_fma(p, r, vf_set1(8.3334519073e-3f));
    p = vf_fma(p, r, vf_set1(4.1665795894e-2f));
    p = vf_fma(p, r, vf_set1(1.6666665459e-1f));
    p = vf_fma(p, r, vf_set1(5.0000001201e-1f));
    return vf_fma(p, vf_mul(r, r), vf_add(r, vf_set1(1.0f)));
}

/// The argument reduction: n = round(v·log₂e) (in t's low mantissa bits, for vf_scale_pow2) and
/// r = v − n·ln2, the first subtraction (n·ln2_hi has ≤ 17 significant bits) exact.
VF_INLINE vf exp_reduce(vf v, vf *t_out, vf *n_out) {
    const vf magic = vf_set1(12582912.0f);
    vf t = vf_fma(v, vf_set1(1.44269504f), magic);
    vf n = vf_sub(t, magic);
    vf r = vf_fnma(n, vf_set1(0.693359375f), v);
    *t_out = t;
    *n_out = n;
    return vf_fnma(n, vf_set1(-2.12194440e-4f), r);
}

/// The shared reduction and polynomial: returns eʳ, and t and n for vf_scale_pow2.
VF_INLINE vf exp_reduced(vf v, vf *t_out, vf *n_out) { return exp_polynomial(exp_reduce(v, t_out, n_out)); }

/// exp(v), v clamped to [−87.33, 88]; v < −87.33 (and −∞) gives exactly 0, NaN gives NaN (the
/// clamps take v as their second operand, which vf_max/vf_min return when it is NaN). The result
/// of the polynomial times 2ⁿ with n ∈ [−126, 127] is normal, so every path gives the same scaling.
VF_INLINE vf vf_exp(vf v) {
    const vf lower = vf_set1(-87.33f);
    vm underflow = vf_lt(v, lower);
    v = vf_min(vf_set1(88.0f), vf_max(lower, v));
    vf t, n;
    vf p = exp_reduced(v, &t, &n);
    return vf_select(underflow, vf_zero(), vf_scale_pow2(p, t, n));
}

/// exp(v) for v ≤ 0 or −∞ only (attention's shifted scores s − max): no upper clamp, and inputs
/// below −86.9 give exactly 0 (e^−86.9 ≈ 2·10⁻³⁸), so p·2ⁿ (p ∈ [0.7, 1.42], n ≥ −125) is normal.
/// NaN gives NaN.
VF_INLINE vf vf_exp_nonpositive(vf v) {
    const vf lower = vf_set1(-86.9f);
    vm underflow = vf_lt(v, lower);
    v = vf_max(lower, v);
    vf t, n;
    vf p = exp_reduced(v, &t, &n);
    return vf_select(underflow, vf_zero(), vf_scale_pow2(p, t, n));
}

/// x[i] ← exp(x[i] − shift) for i < count; returns the sum (lanes accumulated in order, then
/// vf_reduce_add, then the tail's elements one by one). The tail runs the same vector code on a
/// masked load, so every element sees one formula.
static float exp_shift_sum(float *x, long count, float shift) {
    const vf s = vf_set1(shift);
    vf total = vf_zero();
    long i = 0;
    for (; i + VF_LANES <= count; i += VF_LANES) {
        vf e = vf_exp(vf_sub(vf_loadu(x + i), s));
        vf_storeu(x + i, e);
        total = vf_add(total, e);
    }
    float sum = vf_reduce_add(total);
    if (i < count) {
        float tail[VF_LANES];
        long rest = count - i;
        vf_storeu(tail, vf_exp(vf_sub(vf_load_n(x + i, rest), s)));
        for (long j = 0; j < rest; j++) {
            x[i + j] = tail[j];
            sum += tail[j];
        }
    }
    return sum;
}

#endif
