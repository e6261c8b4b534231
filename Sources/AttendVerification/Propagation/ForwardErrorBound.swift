import Attend
import AttendReference
import Foundation
import RealModule

// Error bounds for layers built from several ops (attention, multi-head attention, LayerNorm,
// the encoder layer), by first-order forward error analysis.
//
// Each stage of a layer is evaluated twice: its exact value, by AttendReference's Double
// formulas, and a bound on how far a floating-point evaluation of that stage can be from it.
// The bound of a stage has two parts:
//
// - its own rounding, from the policy (``ErrorBounds``): a dot product of length K is off by at
//   most γ_K·Σ|a||b| + u·|c|, the softmax by p·u·(8 + 2|x − max|), an elementwise op by a few u
//   relative, a Double-accumulated sum by u·|s| + N·2⁻⁵³·Σ|x|;
// - the errors of its inputs carried through the stage's exact derivative: Σ|W|·e through a
//   linear map, the softmax's Jacobian through the attention weights, LayerNorm's Jacobian (which
//   divides by σ), a Lipschitz constant through an activation, e₁ + e₂ through a residual sum.
//
// Terms of second order (a product of two errors, u² and smaller) are dropped. The bound of the
// layer is the bound of its last stage. With u the unit roundoff of the arithmetic being bounded
// (2⁻²⁴ for the Float engine, 2⁻⁵³ for a Double evaluation), the same code bounds the engine, the
// Double reference and a NumPy float64 evaluation of the same formulas.

/// A value computed by the reference, with a bound on the error of a floating-point evaluation
/// of it: `|computed − value| ≤ error` elementwise (same shape).
public struct BoundedArray: Sendable {
    /// The reference's value in Double.
    public var value: ReferenceArray<Double>
    /// The elementwise bound on the evaluation's error, ≥ 0, with ``value``'s shape.
    public var error: ReferenceArray<Double>

    /// An exactly known input (a fixture's float32 data, a weight): no error.
    public init(exact value: ReferenceArray<Double>) {
        self.init(value, error: ReferenceArray(shape: value.shape, repeating: 0))
    }

    /// A value with its error bound.
    /// - Precondition: both arrays have one shape.
    public init(_ value: ReferenceArray<Double>, error: ReferenceArray<Double>) {
        precondition(
            value.shape == error.shape, "BoundedArray: value \(value.shape) and error \(error.shape) differ in shape")
        self.value = value
        self.error = error
    }

    /// The same view applied to the value and to its error.
    public func viewed(_ view: (ReferenceArray<Double>) throws -> ReferenceArray<Double>) rethrows -> BoundedArray {
        BoundedArray(try view(value), error: try view(error))
    }
}

/// The stages of attention layers with their error bounds, for arithmetic with unit roundoff
/// `u` of the scalar (``ErrorBounds``). See the comment at the top of this file.
public struct ForwardErrorBound: Sendable {
    /// The scalar type of the arithmetic being bounded.
    public let bounds: ErrorBounds
    /// u, the unit roundoff of ``bounds``'s scalar (2⁻²⁴ for Float, 2⁻⁵³ for Double).
    public var u: Double { bounds.u }
    /// The smallest normal number of `scalar`: below it the arithmetic has only absolute accuracy
    /// (gradual underflow), so it is added to the bound of every computed value, as
    /// ``ErrorBounds/relative(_:ulps:)`` does. (Masked attention weights, exactly 0, keep a zero bound.)
    public let underflow: Double
    /// How LayerNorm and GELU are evaluated: in Double and rounded once (Attend's ops, NumPy), or
    /// by the kernel family's Float row passes (`PackedEncoder`).
    public let rowPasses: RowPassArithmetic

    /// The arithmetic of the row-wise stages (LayerNorm, GELU).
    public enum RowPassArithmetic: Sendable {
        /// Evaluated in Double, rounded once to the scalar.
        case double
        /// The kernel family's Float passes.
        case family
    }

    /// The stages' bounds for arithmetic in `scalar` (`Float.self` for the engine, `Double.self` for
    /// the Double reference or NumPy's float64), with LayerNorm and GELU evaluated as `rowPasses` says.
    public init<T: TensorScalar>(_ scalar: T.Type, rowPasses: RowPassArithmetic = .double) {
        bounds = ErrorBounds(T.self)
        underflow = bounds.underflow
        self.rowPasses = rowPasses
    }

    /// γ_k = k·u / (1 − k·u): the bound on the relative rounding error of k operations in a row
    /// (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1); see ``ErrorBounds/gamma(_:)``.
    public func gamma(_ k: Int) -> Double { bounds.gamma(k) }

    // MARK: - Linear maps and sums

    /// y = x·Wᵀ + b, `x [..., in]`, `weight [out, in]` (exact), `bias [out]` (exact) or nil.
    ///
    /// Own error: ``ErrorBounds/linear(absProduct:exact:inFeatures:hasBias:)``. Carried: |W|·e.
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func linear(_ x: BoundedArray, weight: ReferenceArray<Double>, bias: ReferenceArray<Double>?) throws
        -> BoundedArray
    {
        let y = try Reference.linear(x.value, weight: weight, bias: bias)
        let magnitude = try Reference.linear(x.value.magnitudes, weight: weight.magnitudes, bias: bias?.magnitudes)
        let own = bounds.linear(
            absProduct: magnitude.values, exact: y.values, inFeatures: weight.shape[1], hasBias: bias != nil)
        let carried = try Reference.linear(x.error, weight: weight.magnitudes)
        return BoundedArray(y, error: ReferenceArray(shape: y.shape, values: zip(own, carried.values).map(+)))
    }

    /// a + b (same shape): e_a + e_b + u·|a + b|.
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func add(_ a: BoundedArray, _ b: BoundedArray) throws -> BoundedArray {
        let sum = try Reference.add(a.value, b.value)
        let own = bounds.relative(sum.values, ulps: 1)
        let carried = try Reference.add(a.error, b.error)
        return BoundedArray(sum, error: ReferenceArray(shape: sum.shape, values: zip(own, carried.values).map(+)))
    }

    // MARK: - Attention

    /// softmax(Q·Kᵀ·scale + mask)·V — queries `[..., Lq, Dk]`, keys `[..., Lk, Dk]`, values
    /// `[..., Lk, Dv]` — returning the output `[..., Lq, Dv]` and the weights `[..., Lq, Lk]`.
    ///
    /// - scores s = scale·q·kᵀ (+ additive mask): e_s = scale·(e_q·|k|ᵀ + |q|·e_kᵀ) + the score's
    ///   own rounding, ``ErrorBounds/attentionScore(magnitude:scaled:scale:factor:masked:)``;
    /// - weights: to first order a logit error e changes p_j by p_j·(e_j − Σ_k p_k·e_k), so
    ///   δp_j = p_j·(e_s,j + Σ_k p_k·e_s,k) + p_j·u·(8 + 2|s_j − max|) (the softmax's own rounding,
    ///   |s_j − max| = log(p_max / p_j)). Masked entries have p = 0 and a zero bound: they must be
    ///   exactly 0, and a fully masked row is exactly 0 with a zero output;
    /// - output o = P·V: its own rounding, ``ErrorBounds/dotProduct(absProduct:exact:k:)`` with
    ///   k = Lk, + δP·|V| + P·e_v; with `fused` (the engine's fused kernels, which return no
    ///   weights) that bound B becomes ``ErrorBounds/fusedAttentionOutput(materialized:weightedValues:keyLength:)``.
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func attention(
        queries q: BoundedArray, keys k: BoundedArray, values v: BoundedArray, mask: ReferenceMask<Double>,
        scale: Double, fused: Bool = false
    ) throws -> (output: BoundedArray, weights: BoundedArray) {
        let exact = try Reference.scaledDotProductAttention(
            queries: q.value, keys: k.value, values: v.value, mask: mask, scale: scale)
        let p = exact.weights  // [..., Lq, Lk]
        let kT = try k.viewed { try Reference.transposed($0, -2, -1) }  // [..., Dk, Lk]
        let scores = try Reference.matmul(q.value, kT.value)  // [..., Lq, Lk], unscaled
        let magnitude = try Reference.matmul(q.value.magnitudes, kT.value.magnitudes)
        let carried = try Reference.add(
            Reference.matmul(q.error, kT.value.magnitudes), Reference.matmul(q.value.magnitudes, kT.error))
        let additive = try Self.additiveTerms(of: mask).reduce(ReferenceArray(shape: p.shape, repeating: 0)) {
            try Reference.add($0, $1)
        }
        let gammaScores = gamma(bounds.attentionScoreLength(depth: q.value.shape.last!))
        var scoreError = [Double](repeating: 0, count: p.count)
        for i in 0..<p.count where p.values[i] > 0 {
            let scaled = scale * scores.values[i]
            scoreError[i] =
                Swift.abs(scale) * carried.values[i]
                + bounds.attentionScore(
                    magnitude: magnitude.values[i], scaled: scaled, scale: scale, factor: gammaScores,
                    masked: additive.values[i] != 0 ? scaled + additive.values[i] : nil)
        }

        let n = Swift.max(p.shape.last!, 1)
        var weightError = [Double](repeating: 0, count: p.count)
        for row in 0..<(p.count / n) {
            let line = (row * n)..<((row + 1) * n)
            let pMax = line.map { p.values[$0] }.max() ?? 0
            let averageError = line.reduce(0.0) { $0 + p.values[$1] * scoreError[$1] }
            for i in line where p.values[i] > 0 {
                let shift = log(pMax / p.values[i])
                weightError[i] =
                    bounds.softmaxWeight(
                        probability: p.values[i], logitError: scoreError[i], sharedError: averageError, shift: shift)
                    + underflow
            }
        }
        let deltaP = ReferenceArray(shape: p.shape, values: weightError)

        let o = exact.output
        let lk = p.shape.last!
        let weightedValues = try Reference.matmul(p, v.value.magnitudes).values  // Σⱼpⱼ|vⱼ|, [..., Lq, Dv]
        let own = bounds.dotProduct(absProduct: weightedValues, exact: o.values, k: lk)
        let outputCarried = try Reference.add(
            Reference.matmul(deltaP, v.value.magnitudes), Reference.matmul(p, v.error))
        let materialized = zip(own, outputCarried.values).map(+)
        let outputError = ReferenceArray(
            shape: o.shape,
            values: fused
                ? zip(materialized, weightedValues).map {
                    bounds.fusedAttentionOutput(materialized: $0, weightedValues: $1, keyLength: lk)
                } : materialized)
        return (BoundedArray(o, error: outputError), BoundedArray(p, error: deltaP))
    }

    /// The additive parts of a mask (added to the scores, so rounded once more).
    public static func additiveTerms(of mask: ReferenceMask<Double>) -> [ReferenceArray<Double>] {
        switch mask {
        case .additive(let m): return [m]
        case .all(let masks): return masks.flatMap(additiveTerms)
        case .none, .causal, .causalFromEnd, .mayAttend, .keyPadding: return []
        }
    }

    /// The mean over the heads of weights `[B, H, Lq, Lk]` → `[B, Lq, Lk]`, accumulated in
    /// Double: mean_h(δp) + ``ErrorBounds/mean(_:absSum:n:)`` (the weights are ≥ 0, so Σ|w| = H·w̄).
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func averagedOverHeads(_ weights: BoundedArray) throws -> BoundedArray {
        let heads = weights.value.shape[1]
        let average = try Reference.mean(weights.value, dim: 1)
        let own = bounds.mean(average.values, absSum: average.values.map { Double(heads) * $0 }, n: heads)
        let carried = try Reference.mean(weights.error, dim: 1)
        return BoundedArray(
            average, error: ReferenceArray(shape: average.shape, values: zip(own, carried.values).map(+)))
    }

    /// nn.MultiheadAttention (batch-first): query `[B, Lq, E]`, key `[B, Lk, kdim]`, value
    /// `[B, Lk, vdim]` → output `[B, Lq, E]` and head-averaged weights `[B, Lq, Lk]`, as the
    /// chain linear → split heads → attention (scale 1/√dk; `fused`: the fused kernels' bound, when
    /// the layer is called without weights) → merge heads → linear.
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func multiHeadAttention(
        query: BoundedArray, key: BoundedArray, value: BoundedArray,
        weights p: ReferenceMultiHeadAttentionWeights<Double>, mask: ReferenceMask<Double>, fused: Bool = false
    ) throws -> (output: BoundedArray, weights: BoundedArray) {
        let h = p.numHeads
        func split(_ x: BoundedArray) throws -> BoundedArray {  // [B, L, H·d] → [B, H, L, d]
            try x.viewed { t in
                try Reference.permuted(
                    Reference.reshaped(t, [t.shape[0], t.shape[1], h, t.shape[2] / h]), [0, 2, 1, 3])
            }
        }
        let q = try split(linear(query, weight: p.qWeight, bias: p.qBias))  // [B, H, Lq, dk]
        let k = try split(linear(key, weight: p.kWeight, bias: p.kBias))  // [B, H, Lk, dk]
        let v = try split(linear(value, weight: p.vWeight, bias: p.vBias))  // [B, H, Lk, dv]
        let heads = try attention(
            queries: q, keys: k, values: v, mask: mask, scale: 1 / Double(p.headDim).squareRoot(), fused: fused)
        let merged = try heads.output.viewed { t in  // [B, Lq, H·dv]
            try Reference.reshaped(Reference.permuted(t, [0, 2, 1, 3]), [t.shape[0], t.shape[2], h * t.shape[3]])
        }
        let output = try linear(merged, weight: p.outWeight, bias: p.outBias)  // [B, Lq, E]
        return (output, try averagedOverHeads(heads.weights))
    }

    // MARK: - Normalization and activations

    /// LayerNorm over the last `normalizedDims` dimensions: y = ẑ·w + b, ẑ = (x − m)/σ,
    /// σ = √(var + eps), the mean m and biased variance over each group of n elements.
    ///
    /// Carried: ``ErrorBounds/layerNormCarried(error:meanError:meanWeightedError:weight:sigma:normalized:)``
    /// (LayerNorm's Jacobian). Own: Attend (and NumPy) evaluate the group in Double and round y once,
    /// ``ErrorBounds/layerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:evaluationRoundoff:)``.
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func layerNorm(
        _ x: BoundedArray, normalizedDims k: Int, weight: ReferenceArray<Double>?, bias: ReferenceArray<Double>?,
        eps: Double
    ) throws -> BoundedArray {
        let y = try Reference.layerNorm(x.value, normalizedDims: k, weight: weight, bias: bias, eps: eps)
        let n = x.value.shape.suffix(k).reduce(1, *)
        var error = [Double](repeating: 0, count: y.count)
        for group in 0..<(n == 0 ? 0 : y.count / n) {
            let range = (group * n)..<((group + 1) * n)
            let xs = range.map { x.value.values[$0] }
            let es = range.map { x.error.values[$0] }
            let mean = xs.reduce(0, +) / Double(n)
            let sigma = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n) + eps).squareRoot()
            let z = xs.map { ($0 - mean) / sigma }
            let meanError = es.reduce(0, +) / Double(n)
            let meanWeighted = zip(z, es).reduce(0) { $0 + Swift.abs($1.0) * $1.1 } / Double(n)
            let meanMagnitude = xs.reduce(0) { $0 + Swift.abs($1) } / Double(n)
            for (t, i) in range.enumerated() {
                let w = weight?.values[t] ?? 1
                error[i] =
                    bounds.layerNormCarried(
                        error: es[t], meanError: meanError, meanWeightedError: meanWeighted, weight: w, sigma: sigma,
                        normalized: z[t])
                    + bounds.layerNormRounding(
                        output: y.values[i], normalized: z[t], weight: w, meanMagnitude: meanMagnitude, sigma: sigma,
                        n: n, evaluationRoundoff: rowPasses == .family ? u : ErrorBounds.doubleRoundoff)
            }
        }
        return BoundedArray(y, error: ReferenceArray(shape: y.shape, values: error))
    }

    /// An activation. ReLU is exact and 1-Lipschitz: e. GELU (either form) carries
    /// 1.13·e (``ErrorBounds/geluLipschitz``) and adds its own rounding: Attend (and NumPy)
    /// evaluate 0.5·x·(1 + erf(x/√2)) or 0.5·x·(1 + tanh(…)) in Double and round once,
    /// ``ErrorBounds/geluRounding(input:output:tanhForm:)``.
    public func activation(_ x: BoundedArray, _ activation: ReferenceActivation) -> BoundedArray {
        let y = Reference.activate(x.value, activation)
        if activation == .relu { return BoundedArray(y, error: x.error) }
        let error = y.values.indices.map { i in
            ErrorBounds.geluLipschitz * x.error.values[i]
                + (rowPasses == .family && activation == .gelu
                    ? bounds.familyGELURounding(input: x.value.values[i], output: y.values[i])
                    : bounds.geluRounding(
                        input: x.value.values[i], output: y.values[i], tanhForm: activation == .geluTanh))
        }
        return BoundedArray(y, error: ReferenceArray(shape: y.shape, values: error))
    }

    // MARK: - Encoder layer

    /// nn.TransformerEncoderLayer (batch-first, eval): post-norm x = norm1(x + SA(x)),
    /// x = norm2(x + FF(x)); pre-norm x = x + SA(norm1(x)), x = x + FF(norm2(x)); with
    /// FF = linear2(activation(linear1(·))) and LayerNorm over the last dimension. The layer's
    /// self-attention asks for no weights, so it runs the fused kernels (`fused: true`).
    /// - Throws: `ReferenceError` when the shapes do not fit the stage (the reference op's message).
    public func encoderLayer(
        _ x: BoundedArray, weights w: ReferenceTransformerEncoderLayerWeights<Double>,
        activation kind: ReferenceActivation, normFirst: Bool, eps: Double
    ) throws -> BoundedArray {
        func selfAttention(_ h: BoundedArray) throws -> BoundedArray {
            try multiHeadAttention(query: h, key: h, value: h, weights: w.attention, mask: .none, fused: true).output
        }
        func feedForward(_ h: BoundedArray) throws -> BoundedArray {
            let hidden = try linear(h, weight: w.linear1Weight, bias: w.linear1Bias)  // [B, L, F]
            return try linear(activation(hidden, kind), weight: w.linear2Weight, bias: w.linear2Bias)
        }
        func norm1(_ h: BoundedArray) throws -> BoundedArray {
            try layerNorm(h, normalizedDims: 1, weight: w.norm1Weight, bias: w.norm1Bias, eps: eps)
        }
        func norm2(_ h: BoundedArray) throws -> BoundedArray {
            try layerNorm(h, normalizedDims: 1, weight: w.norm2Weight, bias: w.norm2Bias, eps: eps)
        }
        if normFirst {
            let h = try add(x, selfAttention(norm1(x)))  // [B, L, E]
            return try add(h, feedForward(norm2(h)))
        }
        let h = try norm1(add(x, selfAttention(x)))  // [B, L, E]
        return try norm2(add(h, feedForward(h)))
    }
}
