import Attend
import AttendReference
import Foundation
import RealModule

/// A value of the computation in Double — computed from the engine's Float inputs — together
/// with a bound on how far the engine's Float result for it may lie from it. Passing a `Tracked`
/// through the next op's first-order sensitivity gives that op's bound: forward error analysis,
/// one elementwise bound per output.
public struct Tracked: Sendable {
    /// The value's shape (row-major).
    public var shape: [Int]
    /// The value in Double, flat.
    public var value: [Double]
    /// The bound on |engine − value| per element, flat, ≥ 0.
    public var error: [Double]

    /// A tracked value from its parts.
    /// - Precondition: as many bounds as values.
    public init(shape: [Int], value: [Double], error: [Double]) {
        precondition(value.count == error.count, "Tracked: \(value.count) values but \(error.count) error bounds")
        self.shape = shape
        self.value = value
        self.error = error
    }

    /// An input: the engine and the reference read the same values, so its error is 0.
    public init(exact array: ReferenceArray<Double>) {
        self.init(shape: array.shape, value: array.values, error: Array(repeating: 0, count: array.values.count))
    }
}

/// Which attention scores `[G, Lq, Lk]` (flattened batch) take part and what is added to them.
public struct ScoresMask: Sendable {
    /// false = masked (weight exactly 0); nil keeps everything.
    public var allowed: [Bool]?
    /// Added to the scaled scores; nil adds nothing.
    public var additive: [Double]?

    /// A mask from its two parts, each `[G·Lq·Lk]` flat or nil.
    public init(allowed: [Bool]?, additive: [Double]?) {
        self.allowed = allowed
        self.additive = additive
    }

    /// No mask: every score takes part and nothing is added.
    public static let none = ScoresMask(allowed: nil, additive: nil)
}

/// The error propagation rules, one per op of the attention stack. Each returns the op's value
/// in Double and the bound: (propagated input error) + (the op's own rounding, from the policy).
/// "First-order" means products of two error terms are dropped; they are O(u²).
///
/// Two modes:
/// - `.worstCase` — rigorous: a dot product of length K rounds by at most γ_K·Σ|a||b|, and an
///   input error propagates through a linear combination Σ wᵢxᵢ by at most Σ|wᵢ|eᵢ. This is
///   the policy's bound, used for every single op and for attention on exact inputs.
/// - `.probabilistic(λ)` — the probabilistic rounding error analysis of Higham & Mary (SIAM J.
///   Sci. Comput. 41(5), 2019): modelling rounding errors as independent and mean-zero, a dot
///   product of length K rounds by at most λ·√K·u·Σ|a||b| except with probability about
///   2·exp(−λ²/2), and independent input errors combine as a root sum of squares,
///   √(Σ(wᵢeᵢ)²). Worst-case bounds for a chain of layers grow like K per layer and stop meaning
///   anything (for a 1024-wide encoder layer they exceed the outputs themselves); this mode
///   keeps the bound within a modest factor of real errors. With λ = 8 the failure
///   probability per dot product is ~1e-14. Used for multi-head attention and the encoder layer.
public struct Propagation: Sendable {
    /// How rounding errors are combined (see the type's discussion).
    public enum Mode: Sendable {
        /// Rigorous: γ_K·Σ|a||b| per dot product, Σ|wᵢ|eᵢ through a linear combination.
        case worstCase
        /// Higham & Mary's probabilistic bound: λ·√K·u·Σ|a||b| per dot product, √(Σ(wᵢeᵢ)²) through a
        /// linear combination; each bound fails with probability about 2·exp(−λ²/2).
        case probabilistic(lambda: Double)
    }

    /// The mode every rule of this propagation uses.
    public let mode: Mode
    /// The policy for the engine's Float arithmetic, whose formulas every rule calls.
    public let bounds = ErrorBounds.float
    /// u = 2⁻²⁴: the engine's Float arithmetic.
    public var u: Double { bounds.u }

    /// A propagation combining errors by `mode`.
    public init(mode: Mode) { self.mode = mode }

    /// ``Mode/worstCase``: for single ops and attention on exact inputs.
    public static let worstCase = Propagation(mode: .worstCase)
    /// ``Mode/probabilistic(lambda:)`` with λ = 8 (failure probability ~1e-14 per dot product): for
    /// multi-head attention and the encoder layer.
    public static let probabilistic = Propagation(mode: .probabilistic(lambda: 8))

    /// The bound factor of a length-k dot product's own rounding: γ_k, or λ·√k·u (never more
    /// than γ_k).
    public func dotFactor(_ k: Int) -> Double {
        switch mode {
        case .worstCase: ErrorBounds.float.gamma(k)
        case .probabilistic(let lambda): Swift.min(ErrorBounds.float.gamma(k), lambda * Double(k).squareRoot() * u)
        }
    }

    private var rootSumSquare: Bool {
        if case .probabilistic = mode { return true }
        return false
    }

    /// Propagated error through C = A·Bᵀ for errors `eA` on A and `eB` on B (either may be nil):
    /// Σ eA·|B| + |A|·eB, or √(Σ (eA·B)² + (A·eB)²).
    private func propagated(
        a: [Double], eA: [Double]?, b: [Double], eB: [Double]?, groups: Int, m: Int, n: Int, k: Int,
        sharedB: Bool = false
    ) -> [Double] {
        let transform: (Double) -> Double = rootSumSquare ? { $0 * $0 } : { Swift.abs($0) }
        let zeroA = [Double](repeating: 0, count: a.count)
        let zeroB = [Double](repeating: 0, count: b.count)
        let left = BoundKernels.concatenateRows(
            (eA ?? zeroA).map(transform), a.map(transform), rows: a.count / Swift.max(k, 1), k: k)
        let right = BoundKernels.concatenateRows(
            b.map(transform), (eB ?? zeroB).map(transform), rows: b.count / Swift.max(k, 1), k: k)
        let total = BoundKernels.productABt(left, right, groups: groups, m: m, n: n, k: 2 * k, sharedB: sharedB)
        return rootSumSquare ? total.map { $0.squareRoot() } : total
    }

    /// Σ_k x_k (worst case) or √(Σ x_k²) (probabilistic) of nonnegative terms.
    private func aggregate(_ terms: some Sequence<Double>) -> Double {
        if rootSumSquare { return terms.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return terms.reduce(0, +)
    }

    /// y = x·Wᵀ + b. Own error ``ErrorBounds/linear(absProduct:exact:inFeatures:hasBias:)`` with
    /// ``dotFactor(_:)`` in place of γ; propagated ex·|W|ᵀ (or its root-sum-square form).
    public func linear(_ x: Tracked, weight: ReferenceArray<Double>, bias: ReferenceArray<Double>?) -> Tracked {
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        let rows = inFeatures == 0 ? 0 : x.value.count / inFeatures
        var y = BoundKernels.productABt(x.value, weight.values, groups: 1, m: rows, n: outFeatures, k: inFeatures)
        if let bias {
            for r in 0..<rows {
                for o in 0..<outFeatures { y[r * outFeatures + o] += bias.values[o] }
            }
        }
        let factor = dotFactor(bounds.linearLength(inFeatures: inFeatures, hasBias: bias != nil))
        var own = BoundKernels.productABt(
            x.value.map { Swift.abs($0) }, weight.values.map { Swift.abs($0) }, groups: 1, m: rows, n: outFeatures,
            k: inFeatures)
        if let bias {
            for r in 0..<rows {
                for o in 0..<outFeatures { own[r * outFeatures + o] += Swift.abs(bias.values[o]) }
            }
        }
        let carried =
            x.error.allSatisfy({ $0 == 0 })
            ? [Double](repeating: 0, count: y.count)
            : propagated(
                a: x.value, eA: x.error, b: weight.values, eB: nil, groups: 1, m: rows, n: outFeatures, k: inFeatures)
        let e = y.indices.map { bounds.dotProduct(magnitude: own[$0], exact: y[$0], factor: factor) + carried[$0] }
        return Tracked(shape: Array(x.shape.dropLast()) + [outFeatures], value: y, error: e)
    }

    /// softmax(scale·Q·Kᵀ + mask)·V over `G` independent groups:
    /// q `[G, Lq, dk]`, k `[G, Lk, dk]`, v `[G, Lk, dv]` → output `[G, Lq, dv]`, weights `[G, Lq, Lk]`.
    ///
    /// - scores: e_s = scale·(e_q·|k|ᵀ + |q|·e_kᵀ) + the score's own rounding,
    ///   ``ErrorBounds/attentionScore(magnitude:scaled:scale:factor:masked:)``;
    /// - weights: softmax's first-order sensitivity dp_j = p_j·(ds_j − Σ_k p_k ds_k), so
    ///   e_p = p_j·(e_s,j + Σ_k p_k e_s,k), plus its own rounding p·u·(8 + 2|s − max|);
    /// - output: e_o = e_p·|v| + p·e_v + its own rounding
    ///   (``ErrorBounds/dotProduct(magnitude:exact:factor:)``, factor dotFactor(Lk)); with `fused`
    ///   (the engine's fused kernels) that bound B becomes
    ///   ``ErrorBounds/fusedAttentionOutput(materialized:weightedValues:keyLength:)``.
    /// Masked entries have weight exactly 0 on both paths and contribute nothing.
    public func attention(
        q: Tracked, k: Tracked, v: Tracked, groups: Int, lq: Int, lk: Int, dk: Int, dv: Int, scale: Double,
        mask: ScoresMask, fused: Bool = false
    ) -> (output: Tracked, weights: Tracked) {
        let s0 = BoundKernels.productABt(q.value, k.value, groups: groups, m: lq, n: lk, k: dk)
        let ownS = BoundKernels.productABt(
            q.value.map { Swift.abs($0) }, k.value.map { Swift.abs($0) }, groups: groups, m: lq, n: lk, k: dk)
        let carriedS = propagated(a: q.value, eA: q.error, b: k.value, eB: k.error, groups: groups, m: lq, n: lk, k: dk)
        let factorS = dotFactor(bounds.attentionScoreLength(depth: dk))

        let count = groups * lq * lk
        var scores = [Double](repeating: 0, count: count)
        var scoreError = [Double](repeating: 0, count: count)
        var kept = [Bool](repeating: true, count: count)
        for i in 0..<count {
            let scaled = scale * s0[i]
            let total = scaled + (mask.additive?[i] ?? 0)
            let error =
                Swift.abs(scale) * carriedS[i]
                + bounds.attentionScore(
                    magnitude: ownS[i], scaled: scaled, scale: scale, factor: factorS,
                    masked: (mask.additive?[i] ?? 0) != 0 ? total : nil)
            if let allowed = mask.allowed, !allowed[i] { kept[i] = false }
            if !total.isFinite { kept[i] = false }
            scores[i] = total
            scoreError[i] = kept[i] ? error : 0
        }

        // Softmax per row over the kept entries, with its error.
        var p = [Double](repeating: 0, count: count)
        var pError = [Double](repeating: 0, count: count)
        for row in 0..<(groups * lq) {
            let range = (row * lk)..<((row + 1) * lk)
            var m = -Double.infinity
            for j in range where kept[j] { m = Swift.max(m, scores[j]) }
            guard m > -Double.infinity else { continue }  // nothing kept: zeros on both paths
            var total = 0.0
            for j in range where kept[j] {
                p[j] = exp(scores[j] - m)
                total += p[j]
            }
            for j in range where kept[j] { p[j] /= total }
            let shared = aggregate(range.lazy.filter { kept[$0] }.map { p[$0] * scoreError[$0] })
            for j in range where kept[j] {
                pError[j] =
                    ErrorBounds.float.softmaxWeight(
                        probability: p[j], logitError: scoreError[j], sharedError: shared, shift: scores[j] - m) + 1e-45
            }
        }

        // Output = P·V, with V transposed so both operands' rows are contiguous.
        let vT = BoundKernels.transposeLastTwo(v.value, groups: groups, rows: lk, columns: dv)
        let eVT = BoundKernels.transposeLastTwo(v.error, groups: groups, rows: lk, columns: dv)
        let output = BoundKernels.productABt(p, vT, groups: groups, m: lq, n: dv, k: lk)
        let ownO = BoundKernels.productABt(p, vT.map { Swift.abs($0) }, groups: groups, m: lq, n: dv, k: lk)
        let carriedO = propagated(a: p, eA: pError, b: vT, eB: eVT, groups: groups, m: lq, n: dv, k: lk)
        let factorO = dotFactor(lk)
        let outputError = output.indices.map {
            let materialized =
                bounds.dotProduct(magnitude: ownO[$0], exact: output[$0], factor: factorO) + carriedO[$0] + 1e-45
            return fused
                ? bounds.fusedAttentionOutput(materialized: materialized, weightedValues: ownO[$0], keyLength: lk)
                : materialized
        }
        return (
            Tracked(shape: [groups, lq, dv], value: output, error: outputError),
            Tracked(shape: [groups, lq, lk], value: p, error: pError)
        )
    }

    /// ``attention(q:k:v:groups:lq:lk:dk:dv:scale:mask:fused:)`` on exact inputs queries
    /// `[batch…, Lq, Dk]`, keys `[batch…, Lk, Dk]`, values `[batch…, Lk, Dv]` whose batch
    /// dimensions broadcast; `mask` is resolved by the reference over `[batch…, Lq, Lk]`.
    /// - Throws: `ReferenceError` when the shapes do not fit attention (as
    ///   `Reference.scaledDotProductAttention` checks them).
    public func attention(
        queries: ReferenceArray<Double>, keys: ReferenceArray<Double>, values: ReferenceArray<Double>, scale: Double,
        mask: AttentionMask<Float>, fused: Bool = false
    ) throws -> (output: Tracked, weights: Tracked) {
        let batch = try Reference.broadcastShapes(
            try Reference.broadcastShapes(Array(queries.shape.dropLast(2)), Array(keys.shape.dropLast(2))),
            Array(values.shape.dropLast(2)))
        let (lq, dk) = (queries.shape[queries.rank - 2], queries.shape[queries.rank - 1])
        let (lk, dv) = (keys.shape[keys.rank - 2], values.shape[values.rank - 1])
        return attention(
            q: Tracked(exact: try Reference.expanded(queries, to: batch + [lq, dk])),  // [G, Lq, Dk]
            k: Tracked(exact: try Reference.expanded(keys, to: batch + [lk, dk])),  // [G, Lk, Dk]
            v: Tracked(exact: try Reference.expanded(values, to: batch + [lk, dv])),  // [G, Lk, Dv]
            groups: batch.reduce(1, *), lq: lq, lk: lk, dk: dk, dv: dv, scale: scale,
            mask: try ScoresMask(mask, scoresShape: batch + [lq, lk]), fused: fused)
    }

    /// LayerNorm over the last `width` elements: y = x̂·w + b, x̂ = (x − μ)/σ, σ = √(var + eps).
    /// Sensitivity dy_i = (w_i/σ)·(dx_i − mean(dx) − x̂_i·mean(x̂·dx)), bounded by
    /// (|w_i|/σ)·(e_i + mean(e) + |x̂_i|·mean(|x̂|·e))
    /// (``ErrorBounds/layerNormCarried(error:meanError:meanWeightedError:weight:sigma:normalized:)``);
    /// own error ``ErrorBounds/layerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:evaluationRoundoff:)``.
    public func layerNorm(_ x: Tracked, width n: Int, weight: [Double]?, bias: [Double]?, eps: Double) -> Tracked {
        var y = [Double](repeating: 0, count: x.value.count)
        var e = [Double](repeating: 0, count: x.value.count)
        guard n > 0 else { return Tracked(shape: x.shape, value: y, error: e) }
        for row in 0..<(x.value.count / n) {
            let base = row * n
            var mean = 0.0
            for i in 0..<n { mean += x.value[base + i] }
            mean /= Double(n)
            var variance = 0.0
            for i in 0..<n { variance += (x.value[base + i] - mean) * (x.value[base + i] - mean) }
            variance /= Double(n)
            let sigma = (variance + eps).squareRoot()
            let meanMagnitude = (0..<n).reduce(0) { $0 + Swift.abs(x.value[base + $1]) } / Double(n)
            let meanError = aggregate((0..<n).lazy.map { x.error[base + $0] }) / Double(n)
            let meanWeighted =
                aggregate((0..<n).lazy.map { Swift.abs((x.value[base + $0] - mean) / sigma) * x.error[base + $0] })
                / Double(n)
            for i in 0..<n {
                let normalized = (x.value[base + i] - mean) / sigma
                let w = weight?[i] ?? 1
                let b = bias?[i] ?? 0
                let out = normalized * w + b
                y[base + i] = out
                e[base + i] =
                    bounds.layerNormCarried(
                        error: x.error[base + i], meanError: meanError, meanWeightedError: meanWeighted, weight: w,
                        sigma: sigma, normalized: normalized)
                    + bounds.layerNormRounding(
                        output: out, normalized: normalized, weight: w, meanMagnitude: meanMagnitude, sigma: sigma, n: n
                    )
            }
        }
        return Tracked(shape: x.shape, value: y, error: e)
    }

    /// ReLU is 1-Lipschitz and exact; GELU (erf or tanh form) has |f′| ≤ 1.13
    /// (``ErrorBounds/geluLipschitz``) and is computed in Double, rounded once
    /// (``ErrorBounds/geluRounding(input:output:tanhForm:)``).
    public func activation(_ x: Tracked, _ kind: ReferenceActivation) -> Tracked {
        let values = Reference.activate(ReferenceArray(shape: [x.value.count], values: x.value), kind).values
        switch kind {
        case .relu:
            return Tracked(shape: x.shape, value: values, error: x.error)
        case .gelu, .geluTanh:
            let e = values.indices.map {
                ErrorBounds.geluLipschitz * x.error[$0]
                    + bounds.geluRounding(input: x.value[$0], output: values[$0], tanhForm: kind == .geluTanh)
            }
            return Tracked(shape: x.shape, value: values, error: e)
        }
    }

    /// a + b in Float: e_a + e_b + u·|a + b|.
    public func add(_ a: Tracked, _ b: Tracked) -> Tracked {
        let value = zip(a.value, b.value).map(+)
        let error = a.error.indices.map { a.error[$0] + b.error[$0] + u * Swift.abs(value[$0]) }
        return Tracked(shape: a.shape, value: value, error: error)
    }

    /// `[B, L, H·d]` → `[B·H, L, d]` (a permutation: no error).
    public func splitHeads(_ x: Tracked, batch: Int, length: Int, heads: Int, width: Int) -> Tracked {
        permutingHeads(x, batch: batch, length: length, heads: heads, width: width, split: true)
    }

    /// `[B·H, L, d]` → `[B, L, H·d]` (the inverse of ``splitHeads(_:batch:length:heads:width:)``).
    public func mergeHeads(_ x: Tracked, batch: Int, length: Int, heads: Int, width: Int) -> Tracked {
        permutingHeads(x, batch: batch, length: length, heads: heads, width: width, split: false)
    }

    /// Moves every value and its error between the token-major `[B, L, H·d]` and the head-major
    /// `[B·H, L, d]` layout (`split`: from the first to the second).
    private func permutingHeads(_ x: Tracked, batch: Int, length: Int, heads: Int, width: Int, split: Bool) -> Tracked {
        var value = [Double](repeating: 0, count: x.value.count)
        var error = value
        for b in 0..<batch {
            for l in 0..<length {
                for h in 0..<heads {
                    for d in 0..<width {
                        let tokenMajor = ((b * length + l) * heads + h) * width + d
                        let headMajor = (((b * heads + h) * length) + l) * width + d
                        let (from, to) = split ? (tokenMajor, headMajor) : (headMajor, tokenMajor)
                        value[to] = x.value[from]
                        error[to] = x.error[from]
                    }
                }
            }
        }
        let shape = split ? [batch * heads, length, width] : [batch, length, heads * width]
        return Tracked(shape: shape, value: value, error: error)
    }

    /// `[B·H, …]` → `[B, …]` averaged over heads (Double accumulation, rounded once): the mean of
    /// the errors plus ``ErrorBounds/mean(_:absSum:n:)`` (Σ|w| = H·w̄, the weights are ≥ 0).
    public func meanOverHeads(_ x: Tracked, batch: Int, heads: Int) -> Tracked {
        let rest = x.value.count / Swift.max(batch * heads, 1)
        var value = [Double](repeating: 0, count: batch * rest)
        var error = value
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<rest {
                    value[b * rest + i] += x.value[(b * heads + h) * rest + i] / Double(heads)
                    error[b * rest + i] += x.error[(b * heads + h) * rest + i] / Double(heads)
                }
            }
        }
        let own = bounds.mean(value, absSum: value.map { Double(heads) * Swift.abs($0) }, n: heads)
        for i in error.indices { error[i] += own[i] }
        return Tracked(shape: [batch] + Array(x.shape.dropFirst()), value: value, error: error)
    }

    /// nn.MultiheadAttention: projections, per-head attention, merged heads, output projection.
    /// query `[B, Lq, E]`, key `[B, Lk, kdim]`, value `[B, Lk, vdim]`; `mask` over `[B·H, Lq, Lk]`;
    /// `scale` as the reference uses it (1/√dk in Double; the engine's Float rounding of it is in
    /// the scores' u·|s|).
    public func multiHeadAttention(
        query: Tracked, key: Tracked, value: Tracked, weights p: ReferenceMultiHeadAttentionWeights<Double>,
        mask: ScoresMask, fused: Bool = false
    ) -> (output: Tracked, averagedWeights: Tracked) {
        let (batch, lq, lk) = (query.shape[0], query.shape[1], key.shape[1])
        let (heads, dk, dv) = (p.numHeads, p.headDim, p.valueHeadDim)
        let q = linear(query, weight: p.qWeight, bias: p.qBias)  // [B, Lq, H·dk]
        let k = linear(key, weight: p.kWeight, bias: p.kBias)  // [B, Lk, H·dk]
        let v = linear(value, weight: p.vWeight, bias: p.vBias)  // [B, Lk, H·dv]
        let (o, w) = attention(
            q: splitHeads(q, batch: batch, length: lq, heads: heads, width: dk),
            k: splitHeads(k, batch: batch, length: lk, heads: heads, width: dk),
            v: splitHeads(v, batch: batch, length: lk, heads: heads, width: dv),
            groups: batch * heads, lq: lq, lk: lk, dk: dk, dv: dv, scale: 1 / Double(dk).squareRoot(), mask: mask,
            fused: fused)
        let merged = mergeHeads(o, batch: batch, length: lq, heads: heads, width: dv)  // [B, Lq, H·dv]
        let output = linear(merged, weight: p.outWeight, bias: p.outBias)  // [B, Lq, E]
        return (output, meanOverHeads(w, batch: batch, heads: heads))
    }

    /// nn.TransformerEncoderLayer (eval): post-norm x = norm1(x + SA(x)); x = norm2(x + FF(x)),
    /// or pre-norm x = x + SA(norm1(x)); x = x + FF(norm2(x)). SA asks for no weights, so it runs
    /// the fused kernels (`fused: true`).
    public func encoderLayer(
        _ x: Tracked, weights p: ReferenceTransformerEncoderLayerWeights<Double>, activation: ReferenceActivation,
        normFirst: Bool, eps: Double, mask: ScoresMask
    ) -> Tracked {
        let width = x.shape.last ?? 0
        func selfAttention(_ y: Tracked) -> Tracked {
            multiHeadAttention(query: y, key: y, value: y, weights: p.attention, mask: mask, fused: true).output
        }
        func feedForward(_ y: Tracked) -> Tracked {
            let hidden = self.activation(linear(y, weight: p.linear1Weight, bias: p.linear1Bias), activation)
            return linear(hidden, weight: p.linear2Weight, bias: p.linear2Bias)
        }
        func norm1(_ y: Tracked) -> Tracked {
            layerNorm(y, width: width, weight: p.norm1Weight?.values, bias: p.norm1Bias?.values, eps: eps)
        }
        func norm2(_ y: Tracked) -> Tracked {
            layerNorm(y, width: width, weight: p.norm2Weight?.values, bias: p.norm2Bias?.values, eps: eps)
        }
        if normFirst {
            let h = add(x, selfAttention(norm1(x)))
            return add(h, feedForward(norm2(h)))
        }
        let h = norm1(add(x, selfAttention(x)))
        return norm2(add(h, feedForward(h)))
    }
}
