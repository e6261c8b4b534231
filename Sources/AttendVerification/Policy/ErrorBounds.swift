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
///   (``doubleAccumulatedSum(sum:absSum:n:)``); a mean adds N·2⁻⁵²·Σ|x|/N to u·|m|;
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
        zip(sum, absSum).map { u * Swift.abs($0) + Double(n) * 0x1p-53 * $1 + Double.leastNormalMagnitude }
    }

    /// `ulps`·u·|x| (plus the scalar's smallest normal, so exact zeros compare).
    public func relative(_ exact: [Double], ulps: Double) -> [Double] {
        exact.map { ulps * u * Swift.abs($0) + underflow }
    }

    /// p·u·(8 + 2|x − max|) for softmax probabilities p with shifted logits x − max.
    public func softmax(probabilities: [Double], shifts: [Double]) -> [Double] {
        zip(probabilities, shifts).map { p, s in p * u * (8 + 2 * Swift.abs(s.isFinite ? s : 0)) + 1e-45 }
    }

    /// 8u·(|y| + |x − max| + 1) for log-softmax values y.
    public func logSoftmax(values: [Double], shifts: [Double]) -> [Double] {
        zip(values, shifts).map { y, s in 8 * u * (Swift.abs(y.isFinite ? y : 0) + Swift.abs(s.isFinite ? s : 0) + 1) }
    }
}
