import Attend

/// The project's tolerance policy — every formula, written down once.
///
/// Every comparison is elementwise, |engine − reference| ≤ bound, with the reference computed
/// in Double from the *same* (rounded) inputs, so the bound covers only the engine's own
/// arithmetic and comes from the problem, never from one global atol. With u the unit roundoff
/// of the arithmetic being bounded (2⁻²⁴ for Float, 2⁻⁵³ for Double) and γ_K = K·u / (1 − K·u):
///
/// - a dot product of length K (matmul, einsum, linear, convolution, attention's two GEMMs):
///   γ_K·Σₖ|aₖ||bₖ| + u·|c| — the classical worst case for recursive summation, which also covers
///   blocked and FMA orders — (``dotProduct(absProduct:exact:k:)``);
/// - einsum with n operands, N products per output: γ_{N + 2(n−1)}·einsum(|operands|) + u·|out|;
/// - a sum of N terms accumulated in Double and rounded once: u·|s| + N·2⁻⁵³·Σ|x|
///   (``doubleAccumulatedSum(sum:absSum:n:)``); a mean adds N·2⁻⁵²·Σ|x|/N to u·|m|
///   (``mean(_:absSum:n:)``);
/// - softmax: p·u·(8 + 2·|x − max|) (``softmax(probabilities:shifts:)``);
///   log-softmax: 8u·(|y| + |x − max| + 1) (``logSoftmax(values:shifts:)``);
/// - a result computed in Double and rounded once (LayerNorm, std, GELU): 2 ulps, 2u·|y|;
///   values moved without arithmetic (patchify): exact; elementwise ops: a few u relative
///   (``relative(_:ulps:)``);
/// - composite ops (attention, multi-head attention, LayerNorm, the encoder layer) chain these by
///   first-order forward error analysis: each stage's own rounding (above) plus its inputs'
///   errors carried through the stage's exact derivative — Σ|W|·e through a linear map,
///   e_p,j = p_j·(e_s,j + Σₖ pₖ·e_s,k) through the softmax, LayerNorm's Jacobian (which divides
///   by σ), a Lipschitz constant (1 for ReLU, 1.13 for GELU) through an activation, e₁ + e₂
///   through a residual sum. Second-order terms (u²) are dropped. ``Propagation`` (flat arrays,
///   `attend compare`) and ``ForwardErrorBound`` (reference arrays, the fixture tests) apply
///   these rules; the probabilistic mode of ``Propagation`` replaces γ_K by λ·√K·u (λ = 8) and
///   sums of independent errors by their root sum of squares (Higham & Mary 2019);
/// - the fused attention kernel gets twice the materialized bound: one more rounding per key
///   block of its online softmax, and a 2-ulp exp.
///
/// Every bound adds the smallest normal number of the scalar (or of Double), so exact zeros
/// compare. A result within its bound passes; `error / bound` is what `attend compare` prints as
/// "err/bound".
public struct ErrorBounds: Sendable {
    /// The unit roundoff u of the arithmetic being bounded.
    public let u: Double
    /// The smallest normal number of that arithmetic's scalar: below it there is only absolute
    /// accuracy (gradual underflow).
    public let underflow: Double

    /// The policy for arithmetic in `T` (u = T.ulpOfOne / 2).
    public init<T: TensorScalar>(_: T.Type) {
        u = Double(T.ulpOfOne) / 2
        underflow = Double(T.leastNormalMagnitude)
    }

    /// The policy for the Float engine: u = 2⁻²⁴.
    public static let float = ErrorBounds(Float.self)

    /// 2⁻⁵³: the unit roundoff of the Double arithmetic that Attend uses inside sums, LayerNorm
    /// and GELU whatever the tensor's scalar type (and that NumPy's float64 uses).
    public static let doubleRoundoff = 0x1p-53

    /// max |GELU′(x)| over ℝ: 1.12890 for the erf form and 1.12899 for the tanh form — the factor
    /// by which GELU can enlarge an input error (ReLU's is 1).
    public static let geluLipschitz = 1.13

    /// γ_K = K·u / (1 − K·u).
    public func gamma(_ k: Int) -> Double {
        let ku = Double(k) * u
        return ku / (1 - ku)
    }

    /// γ_K·(|A|·|B|) + u·|C| elementwise, for products whose reduction length is `k`.
    public func dotProduct(absProduct: [Double], exact: [Double], k: Int) -> [Double] {
        let g = gamma(k)
        return zip(absProduct, exact).map { g * $0 + u * Swift.abs($1) + Double.leastNormalMagnitude }
    }

    /// u·|s| + N·2⁻⁵³·Σ|x| for sums of N terms accumulated in Double.
    public func doubleAccumulatedSum(sum: [Double], absSum: [Double], n: Int) -> [Double] {
        zip(sum, absSum).map {
            u * Swift.abs($0) + Double(n) * ErrorBounds.doubleRoundoff * $1 + Double.leastNormalMagnitude
        }
    }

    /// u·|m| + N·2⁻⁵²·Σ|x|/N (plus the scalar's smallest normal) for means m of N terms
    /// accumulated in Double: the Double sum's N·2⁻⁵³·Σ|x|, doubled to cover the division by N.
    public func mean(_ exact: [Double], absSum: [Double], n: Int) -> [Double] {
        zip(relative(exact, ulps: 1), absSum).map {
            $0 + Double(n) * (2 * Self.doubleRoundoff) * $1 / Double(Swift.max(n, 1))
        }
    }

    /// `ulps`·u·|x| (plus the scalar's smallest normal, so exact zeros compare).
    public func relative(_ exact: [Double], ulps: Double) -> [Double] {
        exact.map { ulps * u * Swift.abs($0) + underflow }
    }

    /// p·u·(8 + 2|x − max|) for softmax probabilities p with shifted logits x − max (exact
    /// logits: ``softmaxWeight(probability:logitError:sharedError:shift:)`` with no logit error).
    public func softmax(probabilities: [Double], shifts: [Double]) -> [Double] {
        zip(probabilities, shifts).map { p, s in
            softmaxWeight(probability: p, logitError: 0, sharedError: 0, shift: s.isFinite ? s : 0) + 1e-45
        }
    }

    /// The bound on one softmax weight p_j = exp(s_j − max) / Σ_k exp(s_k − max) whose logits carry
    /// errors e_s: p_j·(e_s,j + Σ_k p_k·e_s,k) + p_j·u·(8 + 2|s_j − max|). To first order a logit
    /// error changes p_j by p_j·(e_j − Σ_k p_k·e_k) (the softmax's Jacobian), hence the first term
    /// (`sharedError` = Σ_k p_k·e_s,k, or its root-sum-square form in the probabilistic mode of
    /// ``Propagation``); the second is the softmax's own rounding (exp, the sum, the division and
    /// the shifted logit). The caller adds its underflow term.
    public func softmaxWeight(probability p: Double, logitError: Double, sharedError: Double, shift: Double) -> Double {
        p * (logitError + sharedError) + p * u * (8 + 2 * Swift.abs(shift))
    }

    /// 8u·(|y| + |x − max| + 1) for log-softmax values y.
    public func logSoftmax(values: [Double], shifts: [Double]) -> [Double] {
        zip(values, shifts).map { y, s in 8 * u * (Swift.abs(y.isFinite ? y : 0) + Swift.abs(s.isFinite ? s : 0) + 1) }
    }
}
