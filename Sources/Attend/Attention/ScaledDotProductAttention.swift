/// The result of an attention call: the output and, when asked for, the attention weights.
public struct AttentionResult<Scalar: TensorScalar>: Sendable {
    /// `[..., Lq, Dv]` (or `[B, Lq, E]` for multi-head attention).
    public var output: Tensor<Scalar>
    /// `[..., Lq, Lk]` after masking, softmax and dropout, or nil when not requested.
    public var weights: Tensor<Scalar>?
}

/// Dropout on attention weights in training mode: each weight is zeroed with probability `p`
/// and the survivors scaled by 1/(1 − p). Draws come from the explicit generator, one
/// `nextUnit()` per weight in row-major order of `[..., Lq, Lk]` (kept iff the draw ≥ p), so a
/// run is reproducible from the seed.
public struct AttentionDropout: Sendable {
    /// p, the probability that a weight is zeroed, in [0, 1); 0 turns dropout off.
    public var probability: Double
    /// The source of the draws; it advances by one `nextUnit()` per weight, so pass the dropout
    /// `inout` across calls to get fresh masks.
    public var generator: SeededGenerator

    /// Dropout with probability `probability` (a precondition: 0 ≤ p < 1) drawing from `generator`.
    public init(probability: Double, generator: SeededGenerator) {
        precondition(
            (0..<1).contains(probability), "AttentionDropout: probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.generator = generator
    }
}

/// softmax(Q·Kᵀ · scale + mask) · V — the straightforward (materialized) path.
///
///     queries [..., Lq, Dk], keys [..., Lk, Dk], values [..., Lk, Dv] → output [..., Lq, Dv]
///
/// Batch dimensions broadcast; Lq ≠ Lk and Dk ≠ Dv are fine; `scale` defaults to 1/√Dk. In
/// Python:
///
/// ```python
/// s = q @ k.transpose(-2, -1) * scale + additive   # masked entries → -inf
/// w = softmax(s, -1)                               # all -inf row → zeros (not NaN)
/// return w @ v
/// ```
///
/// Lowering: Q·Kᵀ is one batched GEMM with `transB` (K is never copied) and the scale folded
/// into alpha; the mask and the softmax run in place in the scores buffer; W·V is a second
/// batched GEMM (see ``scaledDotProductAttentionPlan(queries:keys:values:mask:scale:)``).
///
/// - Parameters:
///   - queries: Q `[..., Lq, Dk]`.
///   - keys: K `[..., Lk, Dk]`; read through its strides (a transposed or stride-0 view is fine).
///   - values: V `[..., Lk, Dv]`.
///   - mask: see ``AttentionMask``; a fully masked query row gives zero weights and output.
///   - dropout: training-mode dropout on the weights; nil (inference) applies none. Its
///     generator advances, so pass it `inout` across calls.
///   - scale: the factor on Q·Kᵀ; nil means 1/√Dk.
///   - returnWeights: also return the `[..., Lq, Lk]` weights.
/// - Throws: ``TensorError`` naming the shapes when Dk or Lk disagree, the batch dimensions do
///   not broadcast, or the mask does not fit the scores.
/// - SeeAlso: `Reference.scaledDotProductAttention` in AttendReference.
public func scaledDotProductAttention<Scalar: TensorScalar>(
    queries: Tensor<Scalar>, keys: Tensor<Scalar>, values: Tensor<Scalar>,
    mask: AttentionMask<Scalar> = .none, scale: Scalar? = nil,
    dropout: inout AttentionDropout?, returnWeights: Bool = false
) throws -> AttentionResult<Scalar> {
    let op = "scaledDotProductAttention"
    try checkAttentionShapes(queries.shape, keys.shape, values.shape, op: op)
    let dk = queries.shape[queries.rank - 1]
    let alpha = Double(scale ?? Scalar(1 / Double(dk).squareRoot()))
    var scores = try scaledMatmul(queries, keys.transposed(-2, -1), alpha: alpha, op: op)  // [..., Lq, Lk]
    try mask.validate(scoresShape: scores.shape, op: op)
    mask.apply(to: &scores)
    softmaxRowsInPlace(&scores)  // weights
    if var active = dropout, active.probability > 0 {
        applyDropout(&scores, &active)
        dropout = active
    }
    let output = try scaledMatmul(scores, values, alpha: 1, op: op)  // [..., Lq, Dv]
    return AttentionResult(output: output, weights: returnWeights ? scores : nil)
}

/// Inference-mode ``scaledDotProductAttention(queries:keys:values:mask:scale:dropout:returnWeights:)``
/// (no dropout), choosing the algorithm: by default the fused tiled kernel (O(L) memory,
/// causal blocks skipped; see ``AttentionAlgorithm``) unless the weights are requested, which
/// only the materialized path produces.
/// - Throws: as the training form; also when `.fused` is asked to return weights.
public func scaledDotProductAttention<Scalar: TensorScalar>(
    queries: Tensor<Scalar>, keys: Tensor<Scalar>, values: Tensor<Scalar>,
    mask: AttentionMask<Scalar> = .none, scale: Scalar? = nil, returnWeights: Bool = false,
    algorithm: AttentionAlgorithm = .automatic
) throws -> AttentionResult<Scalar> {
    if algorithm == .fused, returnWeights {
        throw TensorError(
            op: "scaledDotProductAttention",
            "the fused algorithm never materializes the [..., Lq, Lk] weights; use .materialized or .automatic to get them"
        )
    }
    if algorithm == .fused || (algorithm == .automatic && !returnWeights) {
        let output = try fusedAttention(queries: queries, keys: keys, values: values, mask: mask, scale: scale)
        return AttentionResult(output: output, weights: nil)
    }
    var none: AttentionDropout? = nil
    return try scaledDotProductAttention(
        queries: queries, keys: keys, values: values, mask: mask, scale: scale, dropout: &none,
        returnWeights: returnWeights)
}

/// The steps ``scaledDotProductAttention(queries:keys:values:mask:scale:dropout:returnWeights:)`` takes for
/// these layouts: two batched GEMMs and the passes between them, with every intermediate's shape.
/// - Throws: `TensorError` when the layouts break the shape rules of
///   ``scaledDotProductAttention(queries:keys:values:mask:scale:dropout:returnWeights:)`` (the same
///   message the op itself would give).
public func scaledDotProductAttentionPlan<Scalar: TensorScalar>(
    queries: TensorLayout, keys: TensorLayout, values: TensorLayout, mask: AttentionMask<Scalar> = .none,
    scale: Scalar? = nil
) throws -> LoweringPlan {
    let op = "scaledDotProductAttention"
    try checkAttentionShapes(queries.shape, keys.shape, values.shape, op: op)
    let dk = queries.shape.last!
    let alpha = scale.map { Double($0) } ?? 1 / Double(dk).squareRoot()
    var keysT = keys
    keysT.shape.swapAt(keys.shape.count - 2, keys.shape.count - 1)
    keysT.strides.swapAt(keys.shape.count - 2, keys.shape.count - 1)
    let first = try BatchedMatmulLowering(queries, keysT, scalar: Scalar.self, op: op, alpha: alpha)
    let scores = first.outputShape
    try mask.validate(scoresShape: scores, op: op)
    let second = try BatchedMatmulLowering(TensorLayout(contiguous: scores), values, scalar: Scalar.self, op: op)
    let qk = first.plan(op: op, names: ("Q", "K"))
    let pv = second.plan(op: op, names: ("P", "V"))
    var steps = qk.steps
    steps.append(.view("Kᵀ = keys.transposed(-2, -1): strides swapped, passed to BLAS as transB"))
    if case .none = mask {
    } else {
        steps.append(.pass("mask \(mask.summary) applied in place to scores \(describe(scores))"))
    }
    steps.append(.pass("softmax over the last dimension, in place in the scores buffer (all -inf row → 0)"))
    steps += pv.steps
    return LoweringPlan(
        op: "scaledDotProductAttention", steps: steps,
        intermediates: [.init(name: "scores/weights", shape: scores)], outputShape: second.outputShape)
}

/// Checks `[..., Lq, Dk]`, `[..., Lk, Dk]`, `[..., Lk, Dv]`.
func checkAttentionShapes(_ q: [Int], _ k: [Int], _ v: [Int], op: String) throws {
    guard q.count >= 2, k.count >= 2, v.count >= 2 else {
        throw TensorError(
            op: op,
            "queries, keys and values need at least 2 dimensions ([..., L, D]); got \(describe(q)), \(describe(k)), \(describe(v))"
        )
    }
    guard q.last == k.last else {
        throw TensorError(
            op: op,
            "queries \(describe(q)) and keys \(describe(k)) must share the feature size Dk (last dimension): \(q.last!) ≠ \(k.last!)"
        )
    }
    guard k[k.count - 2] == v[v.count - 2] else {
        throw TensorError(
            op: op,
            "keys \(describe(k)) and values \(describe(v)) must have the same length Lk (second-to-last dimension): \(k[k.count - 2]) ≠ \(v[v.count - 2])"
        )
    }
    do {
        _ = try broadcastShapes(broadcastShapes(Array(q.dropLast(2)), Array(k.dropLast(2))), Array(v.dropLast(2)))
    } catch {
        throw TensorError(
            op: op,
            "the batch dimensions of queries \(describe(q)), keys \(describe(k)) and values \(describe(v)) — "
                + "\(describe(Array(q.dropLast(2)))), \(describe(Array(k.dropLast(2)))), \(describe(Array(v.dropLast(2)))) — do not broadcast "
                + "(sizes must be equal or 1, aligned from the right)")
    }
}

/// Softmax of every last-dimension row of a contiguous tensor, in place.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func softmaxRowsInPlace<Scalar: TensorScalar>(_ scores: inout Tensor<Scalar>) {
    let n = scores.shape.last ?? 1
    guard n > 0 else { return }
    let pointer = scores.storage.pointer
    for row in 0..<(scores.count / n) {
        softmaxLine(pointer + row * n, count: n, stride: 1, into: pointer + row * n, outStride: 1)
    }
}

/// Zeroes each weight with probability p (draws in row-major order) and scales survivors by 1/(1−p).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func applyDropout<Scalar: TensorScalar>(_ weights: inout Tensor<Scalar>, _ dropout: inout AttentionDropout) {
    let keepScale = Scalar(1 / (1 - dropout.probability))
    let pointer = weights.storage.pointer
    for i in 0..<weights.count {
        pointer[i] = dropout.generator.nextUnit() >= dropout.probability ? pointer[i] * keepScale : 0
    }
}
