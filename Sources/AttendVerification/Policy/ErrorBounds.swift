import Attend
import AttendReference
import Foundation
import RealModule

/// The project's tolerance policy — every formula, written down once, with its derivation.
///
/// Every comparison is elementwise, |engine − reference| ≤ bound, with the reference computed
/// in Double from the *same* (rounded) inputs, so the bound covers only the engine's own
/// arithmetic and comes from the problem, never from one global atol. With u the unit roundoff
/// of the arithmetic being bounded (2⁻²⁴ for Float, 2⁻⁵³ for Double), u_d = 2⁻⁵³ (the Double
/// arithmetic Attend uses inside sums, LayerNorm and GELU whatever the scalar) and
/// γ_K = K·u / (1 − K·u), each function below is the one home of its formula:
///
/// - **dot product** of length K (matmul, convolution, attention's P·V):
///   γ_K·Σₖ|aₖ||bₖ| + u·|c| — the classical worst case for recursive summation, which also covers
///   blocked and FMA orders (``dotProduct(absProduct:exact:k:)``);
/// - **einsum**, an output summing N products of n factors: γ_{N+2(n−1)}·einsum(|operands|) +
///   u·|out|. The lowering runs ≤ 2n − 1 steps — ≤ n pre-reductions (Double sums rounded once:
///   J·u_d + u ≤ J·u for J ≥ 2 terms, exact for J = 1) and n − 1 pairwise steps (a GEMM over K
///   contracted terms: γ_K; a broadcast multiply: one rounding) — and a term meets each step's r
///   roundings once; the r multiply to N, and Σr ≤ Πr + (steps − 1) for integers r ≥ 1
///   (``einsum(_:_:exact:)``);
/// - **squared distances** c = Σ_d (a_d − b_d)², D coordinates: broadcast, (a − b)² carries γ_3
///   and the Double sum D·u_d, so (γ_3 + D·u_d)·c + u·c; the GEMM form ‖a′‖² + ‖b′‖² − 2·a′·b′
///   over a′ = a − c, b′ = b − c (c the points' mean when centred, else 0): the GEMM's γ_D on
///   2|a′|·|b′|, each norm's squares and Double sum 2u + D·u_d, the two additions u, and the
///   centring's relative u on each coordinate ≤ 2u·Σ(|a′| + |b′|)², so with
///   T = Σ_d (|a′_d| + |b′_d|)²: (γ_D + 3u + D·u_d + 2u [centered])·T + u·|c|
///   (``squaredDistances(_:_:exact:usesGEMM:centered:)``);
/// - **linear** y = x·Wᵀ + b: C starts from the bias and the GEMM adds into it (beta = 1), so b is
///   one more term of the sum, and OpenBLAS adds each K-block's partial sum into C: however K is
///   blocked, every term — b included — meets at most K + 1 roundings, hence
///   γ_{K+1}·(|x|·|W|ᵀ + |b|) + u·|y| (``linear(absProduct:exact:inFeatures:hasBias:)``; |b| in
///   `absProduct`). Without |b| the bound holds only when K fits one block;
/// - **attention scores** s = scale·q·kᵀ: one GEMM with alpha = σ̂, the scale in the engine's
///   scalar (σ̂ = σ·(1 + δ), |δ| ≤ u; δ = 0 when σ is given in that scalar). The GEMM returns
///   σ̂·Σᵢ qᵢkᵢ·(1 + θᵢ), |θᵢ| ≤ γ_{Dk+1} (the products, sums and alpha), so
///   |ŝ − s| ≤ (1 + u)·γ_{Dk+1}·|σ|·Σ|q||k| + u·|s|; an additive mask adds u·|s + m|
///   (``attentionScore(magnitude:scaled:scale:factor:masked:)``; `factor` = γ_{Dk+1});
/// - **a sum** of N terms accumulated in Double and rounded once: u·|s| + N·u_d·Σ|x|
///   (``doubleAccumulatedSum(sum:absSum:n:)``: γ_{N−1} of Double, N·u_d for N² < 2⁵³);
/// - **a mean** m = (Σx)/N in Double, rounded once: the sum's γ_{N−1}·Σ|x| divided by N, one
///   Double rounding of the division (u_d·|m| ≤ u_d·mean|x|), and the rounding to the scalar:
///   u·|m| + (N + 1)·u_d·mean|x| (``mean(_:absSum:n:)``; also the head average of attention
///   weights, with mean|w| = w̄ since w ≥ 0);
/// - **softmax**: p·u·(8 + 2·|x − max|) (``softmax(probabilities:shifts:)``, through
///   ``softmaxWeight(probability:logitError:sharedError:shift:)``);
/// - **log-softmax** y = t − L, t = fl(x − max), L = fl(log Σ exp t) (Attend: exp in the scalar,
///   Σ in Double, log in Double rounded to the scalar, then t − L): t is off by u·|t|, which
///   moves each exp by u·|t|·eᵗ, so Σ carries the relative error 2u + u·Σₖpₖ|tₖ| (1-ulp exp) plus
///   N·u_d; log turns that into an absolute error, and L's rounding adds u·L; the subtraction adds
///   u·|y|. With |t| + L = |y|: 2u·|y| + u·(2 + Σₖpₖ|xₖ − max|) + (N + 3)·u_d·(1 + |y|)
///   (``logSoftmax(_:dim:)``; Σₖpₖ|xₖ − max| ≤ log N is the line's entropy minus L);
/// - **LayerNorm**, evaluated in Double and rounded once: u·|y| + u_d·(|w|·((n + 1)·mean|x|/σ +
///   (n/2 + 8)·|ẑ|) + |ẑ·w| + |y|) — the mean is off by (n + 1)·u_d·mean|x|, which shifts ẑ by
///   that over σ; the variance is off by (n + 4)·u_d relative, σ by half that, and the
///   deviation, 1/σ, the products and the bias add a few roundings more
///   (``layerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:evaluationRoundoff:)``);
/// - **GELU**, evaluated in Double and rounded once: u·|y| + u_d·(c·|x| + 2|y|), c = 2 for the
///   erf form and 3 for the tanh form — erf(x/√2) is off by ≤ 3·u_d absolute (its argument's two
///   roundings times max |a·erf′(a)| = 0.48, and a 1-ulp erf), tanh(…) by ≤ 5.2·u_d (its
///   argument's 7 roundings times max |z·tanh′(z)| = 0.45, and a 1-ulp tanh), which the factor
///   0.5·x turns into 1.5·u_d·|x| and 2.6·u_d·|x|; 1 + erf and the product round once each
///   (``geluRounding(input:output:tanhForm:)``);
/// - **variance and standard deviation** (two passes in Double, rounded once; σ = √ of the
///   rounded variance): u·|v| + (N + 3)·u_d·|v| + N·δm²/d, δm the mean's (N + 1)·u_d·mean|x|,
///   and δv/(2σ) + u·σ (``variance(_:dims:unbiased:keepDim:exact:)``,
///   ``standardDeviation(_:dims:unbiased:keepDim:exact:)``);
/// - **sinusoidal positional encoding** (Double, rounded once): u·|y| + u_d·(12·θ + 1)
///   (``positionalEncoding(length:dim:exact:)``);
/// - values moved without arithmetic (patchify, im2col, ReLU): exact; elementwise ops: a few u
///   relative (``relative(_:ulps:)``);
/// - composite ops (attention, multi-head attention, LayerNorm, the encoder layer) chain these by
///   first-order forward error analysis: each stage's own rounding (above) plus its inputs'
///   errors carried through the stage's exact derivative — Σ|W|·e through a linear map,
///   e_p,j = p_j·(e_s,j + Σₖ pₖ·e_s,k) through the softmax, LayerNorm's Jacobian
///   (``layerNormCarried(error:meanError:meanWeightedError:weight:sigma:normalized:)``), a
///   Lipschitz constant (1 for ReLU, ``geluLipschitz`` for GELU) through an activation, e₁ + e₂
///   through a residual sum. Second-order terms (u²) are dropped. ``Propagation`` (flat arrays,
///   `attend compare`) and ``ForwardErrorBound`` (reference arrays, the fixture tests) apply
///   these rules by calling the functions above; the probabilistic mode of ``Propagation``
///   replaces γ_K by λ·√K·u (λ = 8) and sums of independent errors by their root sum of squares
///   (Higham & Mary 2019);
/// - the **fused attention kernels**: 2·B + 2⌈Lk/128⌉·u·Σⱼpⱼ|vⱼ|, B the materialized output's
///   bound. They evaluate the same sums in another order and add: the normalizer l = Σⱼe^(sⱼ − m)
///   accumulated in Float (relative γ_Lk, so ≤ γ_Lk·Σⱼpⱼ|vⱼ| on the output, which B's P·V term
///   already holds), the scores pre-scaled by scale·log₂e (the u·|s| term again), an 8-lane exp
///   of ≤ 2 ulp (u·pⱼ more per weight) and the final division — the doubling; and the online
///   rescaling, O and l each multiplied by e^(m − m′) once per key block (≥ 128 keys), one rounding
///   each (the exp's own error is common to O and l and cancels in O/l), hence the second term
///   (``fusedAttentionOutput(materialized:weightedValues:keyLength:)``).
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
        return zip(absProduct, exact).map { dotProduct(magnitude: $0, exact: $1, factor: g) }
    }

    /// factor·Σ|a||b| + u·|c| for one product: the dot-product bound with its factor given
    /// (γ_K, or the probabilistic λ·√K·u of ``Propagation``).
    public func dotProduct(magnitude: Double, exact: Double, factor: Double) -> Double {
        factor * magnitude + u * Swift.abs(exact) + Double.leastNormalMagnitude
    }

    /// γ_{K+1}·(|x|·|W|ᵀ + |b|) + u·|y| for y = x·Wᵀ + b (K = `inFeatures`; γ_K·|x|·|W|ᵀ + u·|y|
    /// without a bias): `absProduct` is |x|·|W|ᵀ + |b|.
    public func linear(absProduct: [Double], exact: [Double], inFeatures: Int, hasBias: Bool) -> [Double] {
        dotProduct(absProduct: absProduct, exact: exact, k: linearLength(inFeatures: inFeatures, hasBias: hasBias))
    }

    /// The reduction length of a linear layer's bound: K, + 1 when the bias is a term of the sum.
    public func linearLength(inFeatures: Int, hasBias: Bool) -> Int { inFeatures + (hasBias ? 1 : 0) }

    /// The bound on one attention score s = σ·q·kᵀ (σ = `scale`): (1 + u)·factor·|σ|·Σ|q||k| +
    /// u·|s|, factor = γ_{Dk+1} (``attentionScoreLength(depth:)``); `magnitude` is Σ|q||k|
    /// (unscaled). With an additive mask (`masked` = s + m) the addition adds u·|s + m|.
    public func attentionScore(magnitude: Double, scaled: Double, scale: Double, factor: Double, masked: Double?)
        -> Double
    {
        (1 + u) * factor * Swift.abs(scale) * magnitude + u * Swift.abs(scaled) + u * Swift.abs(masked ?? 0)
    }

    /// The reduction length of an attention score's bound: Dk products and sums, and alpha.
    public func attentionScoreLength(depth dk: Int) -> Int { dk + 1 }

    /// The fused attention kernels' bound on one output element, 2·B + 2⌈Lk/128⌉·u·Σⱼpⱼ|vⱼ|:
    /// `materialized` is B, the materialized output's bound (its own rounding and what it
    /// carries), `weightedValues` Σⱼpⱼ|vⱼ|, `keyLength` Lk.
    public func fusedAttentionOutput(materialized: Double, weightedValues: Double, keyLength lk: Int) -> Double {
        let rescales = Double((lk + Self.fusedKeyBlock - 1) / Self.fusedKeyBlock)
        return 2 * materialized + 2 * rescales * u * weightedValues
    }

    /// The smallest key block of any fused attention path (every kernel-family instance's
    /// `attention_key_block`, checked by KernelFamilyTests; the Double sgemm-tiled schedule uses
    /// 256): the online softmax rescales at most once per such block.
    public static let fusedKeyBlock = 128

    /// The einsum bound γ_{N+2(n−1)}·einsum(|operands|) + u·|out| elementwise, N (the terms of
    /// each output) counted by the reference itself — the equation applied to all-ones operands —
    /// and n = `operands.count`.
    /// - Throws: `ReferenceError` when the equation does not fit the operands (the reference's message).
    public func einsum(_ equation: String, _ operands: [ReferenceArray<Double>], exact: [Double]) throws -> [Double] {
        let magnitude = try Reference.einsum(equation, operands.map(\.magnitudes))
        let terms = try Reference.einsum(equation, operands.map { ReferenceArray(shape: $0.shape, repeating: 1) })
        let extra = 2 * Swift.max(operands.count - 1, 0)
        return exact.indices.map { i in
            dotProduct(magnitude: magnitude.values[i], exact: exact[i], factor: gamma(Int(terms.values[i]) + extra))
        }
    }

    /// The squared-distance bound elementwise for points a `[..., N, D]`, b `[..., M, D]` (exact
    /// distances `exact` `[..., N, M]`): (γ_3 + D·u_d)·c + u·c for the broadcast form;
    /// (γ_D + 3u + D·u_d + 2u [`centered`])·T + u·|c| for the GEMM form, T = Σ_d (|a′_d| + |b′_d|)²
    /// over the points as the GEMM sees them (less their common mean when `centered`).
    /// - Throws: `ReferenceError` when the point sets do not fit (the reference's message).
    public func squaredDistances(
        _ a: ReferenceArray<Double>, _ b: ReferenceArray<Double>, exact: [Double], usesGEMM: Bool, centered: Bool
    ) throws -> [Double] {
        let d = Double(a.shape.last ?? 0)
        guard usesGEMM else {
            return exact.map { (gamma(3) + d * Self.doubleRoundoff + u) * Swift.abs($0) + underflow }
        }
        var (left, right) = (a, b)
        if centered {
            let total = try Reference.add(
                Reference.sum(a, dim: -2, keepDim: true), Reference.sum(b, dim: -2, keepDim: true))  // [..., 1, D]
            let count = Double(a.shape[a.rank - 2] + b.shape[b.rank - 2])
            let centre = Reference.map(total) { $0 / count }  // [..., 1, D]
            (left, right) = (try Reference.subtract(a, centre), try Reference.subtract(b, centre))
        }
        // Σ_d (|a′| + |b′|)² = ‖ |a′| − (−|b′|) ‖², [..., N, M]
        let magnitude = try Reference.squaredDistances(left.magnitudes, Reference.map(right.magnitudes) { -$0 })
        let factor = gamma(Int(d)) + (centered ? 5 : 3) * u + d * Self.doubleRoundoff
        return zip(magnitude.values, exact).map { factor * $0 + u * Swift.abs($1) + underflow }
    }

    /// ``squaredDistances(_:_:exact:usesGEMM:centered:)`` in the form `plan` (from
    /// `squaredDistancesPlan`) chose: the GEMM form when it calls a GEMM, centred when its op
    /// says so — so callers need not resolve `.automatic` themselves.
    /// - Throws: `ReferenceError` when the point sets do not fit (the reference's message).
    public func squaredDistances(
        _ a: ReferenceArray<Double>, _ b: ReferenceArray<Double>, exact: [Double], plan: LoweringPlan
    ) throws -> [Double] {
        try squaredDistances(
            a, b, exact: exact, usesGEMM: !plan.gemmCalls.isEmpty, centered: plan.op.contains("centered"))
    }

    /// u·|s| + N·2⁻⁵³·Σ|x| for sums of N terms accumulated in Double.
    public func doubleAccumulatedSum(sum: [Double], absSum: [Double], n: Int) -> [Double] {
        zip(sum, absSum).map {
            u * Swift.abs($0) + Double(n) * ErrorBounds.doubleRoundoff * $1 + Double.leastNormalMagnitude
        }
    }

    /// u·|m| + (N + 1)·2⁻⁵³·Σ|x|/N (plus the scalar's smallest normal) for means m of N terms
    /// accumulated in Double: the Double sum's error divided by N, the division's rounding and
    /// the rounding to the scalar.
    public func mean(_ exact: [Double], absSum: [Double], n: Int) -> [Double] {
        zip(relative(exact, ulps: 1), absSum).map {
            $0 + Double(n + 1) * Self.doubleRoundoff * $1 / Double(Swift.max(n, 1))
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

    /// 2u·|y| + u·(2 + Σₖpₖ|xₖ − max|) + (N + 3)·2⁻⁵³·(1 + |y|) for the log-softmax values
    /// `y` (exact) along `dim`, N the length of a line and pₖ = e^(yₖ) its weights
    /// (Σₖpₖ|xₖ − max| = −Σₖpₖyₖ + max y). −∞ entries take no part in the sum (their bound is
    /// irrelevant: they must be exactly −∞).
    public func logSoftmax(_ y: ReferenceArray<Double>, dim: Int) -> [Double] {
        let rank = y.shape.count
        let axis = rank == 0 ? 0 : (dim < 0 ? dim + rank : dim)
        let n = rank == 0 ? 1 : y.shape[axis]
        let inner = rank == 0 ? 1 : y.shape[(axis + 1)...].reduce(1, *)
        var bound = [Double](repeating: 0, count: y.values.count)
        guard n > 0, inner > 0 else { return bound }
        for outer in 0..<(y.values.count / (n * inner)) {
            for offset in 0..<inner {
                let line = (0..<n).map { outer * n * inner + $0 * inner + offset }
                let finite = line.map { y.values[$0] }.filter(\.isFinite)
                let top = finite.max() ?? 0
                let spread = finite.reduce(0) { $0 - Double.exp($1) * $1 } + top
                for i in line {
                    let v = y.values[i].isFinite ? Swift.abs(y.values[i]) : 0
                    bound[i] =
                        2 * u * v + u * (2 + Swift.max(spread, 0)) + Double(n + 3) * Self.doubleRoundoff * (1 + v)
                        + underflow
                }
            }
        }
        return bound
    }

    /// LayerNorm's own rounding (evaluated in Double, rounded once) for one output y = ẑ·w + b:
    /// u·|y| + 2⁻⁵³·(|w|·((n + 1)·mean|x|/σ + (n/2 + 8)·|ẑ|) + |ẑ·w| + |y|) (plus the scalar's
    /// smallest normal); `meanMagnitude` is the group's mean|x|, `weight` 1 without affine.
    ///
    /// `evaluationRoundoff` is the unit roundoff of the arithmetic the row is evaluated in: 2⁻⁵³ for
    /// Attend's LayerNorm op, u (Float) for the kernel family's row pass, which accumulates the
    /// mean and the variance in Float lanes — the same derivation with u in place of 2⁻⁵³
    /// (``familyLayerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:)``).
    public func layerNormRounding(
        output y: Double, normalized z: Double, weight: Double, meanMagnitude: Double, sigma: Double, n: Int,
        evaluationRoundoff: Double = doubleRoundoff
    ) -> Double {
        let w = Swift.abs(weight)
        let evaluation =
            evaluationRoundoff
            * (w * (Double(n + 1) * meanMagnitude / sigma + (Double(n) / 2 + 8) * Swift.abs(z)) + Swift.abs(z) * w
                + Swift.abs(y))
        return u * Swift.abs(y) + evaluation + underflow
    }

    /// LayerNorm's input errors carried through its Jacobian ∂ẑᵢ/∂xⱼ = (δᵢⱼ − 1/n)/σ − ẑᵢẑⱼ/(nσ):
    /// |wᵢ|/σ·(eᵢ + ē + |ẑᵢ|·mean(|ẑ|·e)), with ē = `meanError` and mean(|ẑ|·e) =
    /// `meanWeightedError` (or their root-sum-square forms in the probabilistic mode).
    public func layerNormCarried(
        error e: Double, meanError: Double, meanWeightedError: Double, weight: Double, sigma: Double,
        normalized z: Double
    ) -> Double {
        Swift.abs(weight) / sigma * (e + meanError + Swift.abs(z) * meanWeightedError)
    }

    /// The kernel family's LayerNorm row pass (`PackedEncoder`, `LayerNorm.normalizeRows`):
    /// evaluated in Float, so
    /// ``layerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:evaluationRoundoff:)``
    /// with u in place of 2⁻⁵³: u·|y| + u·(|w|·((n + 1)·mean|x|/σ + (n/2 + 8)·|ẑ|) + |ẑ·w| + |y|).
    public func familyLayerNormRounding(
        output y: Double, normalized z: Double, weight: Double, meanMagnitude: Double, sigma: Double, n: Int
    ) -> Double {
        layerNormRounding(
            output: y, normalized: z, weight: weight, meanMagnitude: meanMagnitude, sigma: sigma, n: n,
            evaluationRoundoff: u)
    }

    /// The kernel family's GELU (erf form, evaluated in Float; `family/elementwise.h`) for
    /// y = GELU(x): 12·u·|y| + (1 + |x|)·2⁻¹²⁶. erfc(|x|/√2) = e^(−x²/2)·Q(t) carries ≤ 3.3 u from
    /// the fitted Q (measured with its Float evaluation, t's rounding included), ≤ 2 ulp from the
    /// exp of the unrounded −x²/2 (split so x² is not rounded: the exp sees the exact argument to
    /// within u·x²·2⁻¹²), and 2 roundings of the products: ≤ 8 u. Φ = ½·erfc for x < 0 keeps that
    /// relative error; Φ = 1 − ½·erfc for x ≥ 0 has ½·erfc ≤ ½ against Φ ≥ ½, so ≤ 8 u plus the
    /// subtraction's u; the product x·Φ adds u: ≤ 10 u, stated as 12 u. Below |x| = 14 nothing
    /// underflows; beyond, the result is x (x ≥ 14) or −0 (x ≤ −14, the exact value being below
    /// 10⁻⁴¹), which the absolute term covers.
    public func familyGELURounding(input x: Double, output y: Double) -> Double {
        12 * u * Swift.abs(y) + (1 + Swift.abs(x)) * 0x1p-126
    }

    /// GELU's own rounding (evaluated in Double, rounded once) for y = GELU(x):
    /// u·|y| + 2⁻⁵³·(c·|x| + 2|y|), c = 2 for the erf form, 3 for the tanh form (plus the scalar's
    /// smallest normal).
    public func geluRounding(input x: Double, output y: Double, tanhForm: Bool) -> Double {
        u * Swift.abs(y) + Self.doubleRoundoff * ((tanhForm ? 3 : 2) * Swift.abs(x) + 2 * Swift.abs(y)) + underflow
    }

    /// The two-pass variance Σ(x − m̂)²/d in Double, rounded once, of `x` over `dims`:
    /// u·|v| + (N + 3)·2⁻⁵³·|v| + N·δm²/d with δm = (N + 1)·2⁻⁵³·mean|x| the error of the mean.
    /// (Σ(x − m)(δm) = 0, so the mean's error enters only squared; each squared deviation carries
    /// 3 roundings and their sum N − 1, and the division one.)
    /// - Throws: `ReferenceError` when `dims` do not fit `x` (the reference's message).
    public func variance(
        _ x: ReferenceArray<Double>, dims: [Int], unbiased: Bool, keepDim: Bool, exact v: ReferenceArray<Double>
    ) throws -> [Double] {
        let n = x.count / Swift.max(v.count, 1)
        let meanMagnitude = try Reference.mean(x.magnitudes, dims: dims, keepDim: keepDim)
        let divisor = Double(unbiased ? n - 1 : n)
        return v.values.indices.map { i in
            let meanError = Double(n + 1) * Self.doubleRoundoff * meanMagnitude.values[i]
            return u * Swift.abs(v.values[i]) + Double(n + 3) * Self.doubleRoundoff * Swift.abs(v.values[i])
                + Double(n) * meanError * meanError / divisor + underflow
        }
    }

    /// σ = √v: the variance's bound halved relative to σ (√(v + δ) ≈ σ + δ/(2σ)), plus the
    /// square root's rounding (Attend rounds the variance to the tensor's type, then takes √):
    /// δv/(2σ) + u·σ with δv the ``variance(_:dims:unbiased:keepDim:exact:)`` bound.
    /// - Throws: `ReferenceError` when `dims` do not fit `x` (the reference's message).
    public func standardDeviation(
        _ x: ReferenceArray<Double>, dims: [Int], unbiased: Bool, keepDim: Bool, exact sigma: ReferenceArray<Double>
    ) throws -> [Double] {
        let v = Reference.map(sigma) { $0 * $0 }
        let varianceBound = try variance(x, dims: dims, unbiased: unbiased, keepDim: keepDim, exact: v)
        return sigma.values.indices.map { i in
            let s = sigma.values[i]
            return s > 0 ? varianceBound[i] / (2 * s) + u * s + underflow : varianceBound[i].squareRoot()
        }
    }

    /// Sinusoidal positional encoding PE[p, j] = sin or cos of θ = p / 10000^(2i/dim), evaluated in
    /// Double and rounded once: u·|y| + 2⁻⁵³·(12·θ + 1). The exponent 2i/dim is rounded (2⁻⁵³
    /// relative), which pow turns into ln(10000)·2⁻⁵³ ≈ 9.2·2⁻⁵³ relative; pow and the division
    /// add one rounding each, so θ is off by ≤ 12·2⁻⁵³·θ; sin and cos are 1-Lipschitz and add their
    /// own rounding.
    public func positionalEncoding(length: Int, dim: Int, exact y: ReferenceArray<Double>) -> [Double] {
        y.values.indices.map { index in
            let (p, j) = (index / dim, index % dim)
            let angle = Double(p) / pow(10000, Double(j - j % 2) / Double(dim))
            return u * Swift.abs(y.values[index]) + Self.doubleRoundoff * (12 * angle + 1) + underflow
        }
    }
}
