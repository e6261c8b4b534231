// Plans of the layers built from several ops, composed from the ops' own plans on layouts:
// nothing is allocated, and each step is the plan of the call the layer makes.

extension LoweringPlan {
    /// Appends another op's steps and records its output as the intermediate `name`.
    mutating func append(_ other: LoweringPlan, as name: String) {
        steps += other.steps
        intermediates += other.intermediates
        intermediates.append(Intermediate(name: name, shape: other.outputShape))
    }
}

/// The steps ``MultiHeadAttention/callAsFunction(query:key:value:mask:weights:)`` takes for
/// inputs with these layouts: the projections (one fused QKV GEMM for self-attention when
/// kdim = vdim = E), the head split (views), attention per head, the merge of the heads and the
/// output projection.
///
/// Shapes: query `[B, Lq, E]`, key `[B, Lk, kdim]`, value `[B, Lk, vdim]`; the weights are
/// `[H·dk, E]`, `[H·dk, kdim]`, `[H·dv, vdim]` and `[E, H·dv]` (dk = dv = E/H unless given).
/// Attention is planned as its materialized steps (the layer runs the fused kernel when no
/// weights are returned: the same two products, tiled).
/// - Throws: ``TensorError`` (op `"MultiHeadAttention"`) when the inputs are not 3-D with equal
///   batch sizes and key and value lengths, or E is not divisible by H.
public func multiHeadAttentionPlan<Scalar: TensorScalar>(
    query: TensorLayout, key: TensorLayout, value: TensorLayout, numHeads h: Int, headDimK: Int? = nil,
    headDimV: Int? = nil,
    hasBias: Bool = true, selfAttention: Bool = false, mask: AttentionMask<Scalar> = .none, scalar: Scalar.Type
) throws -> LoweringPlan {
    let op = "MultiHeadAttention"
    guard query.shape.count == 3, key.shape.count == 3, value.shape.count == 3, query.shape[0] == key.shape[0],
        key.shape[0] == value.shape[0], key.shape[1] == value.shape[1]
    else {
        throw TensorError(
            op: op,
            "query \(describe(query.shape)), key \(describe(key.shape)) and value \(describe(value.shape)) must be "
                + "[B, Lq, E], [B, Lk, kdim] and [B, Lk, vdim] with the same B and Lk")
    }
    let (b, lq, lk, e) = (query.shape[0], query.shape[1], key.shape[1], query.shape[2])
    guard h >= 1, headDimK != nil || e % h == 0 else {
        throw TensorError(op: op, "embedDim \(e) is not divisible by numHeads \(h)")
    }
    let (dk, dv) = (headDimK ?? e / h, headDimV ?? (headDimK ?? e / h))
    let bias = hasBias
    var plan = LoweringPlan(op: op, steps: [], intermediates: [], outputShape: [b, lq, e])
    let qWidth: Int
    let kWidth: Int
    let vWidth: Int  // row widths of the buffers the heads are views of
    if selfAttention, key.shape[2] == e, value.shape[2] == e {
        let width = 2 * h * dk + h * dv
        plan.append(
            try linearPlan(
                input: query, weight: TensorLayout(contiguous: [width, e]), hasBias: bias, scalar: Scalar.self),
            as: "qkv (fused projection)")  // [B, L, 2·H·dk + H·dv]
        plan.steps.append(.view("q, k, v = qkv narrowed to its three column blocks"))
        (qWidth, kWidth, vWidth) = (width, width, width)
    } else {
        for (name, x, rows) in [("q", query, h * dk), ("k", key, h * dk), ("v", value, h * dv)] {
            let weight = TensorLayout(contiguous: [rows, x.shape[2]])
            // [B, L, H·d]
            plan.append(try linearPlan(input: x, weight: weight, hasBias: bias, scalar: Scalar.self), as: name)
        }
        (qWidth, kWidth, vWidth) = (h * dk, h * dk, h * dv)
    }
    func heads(_ length: Int, _ d: Int, rowWidth w: Int) -> TensorLayout {  // [B, L, H·d] → [B, H, L, d]
        TensorLayout(shape: [b, h, length, d], strides: [length * w, d, w, 1])
    }
    plan.steps.append(.view("heads: [B, L, H·d] viewed as [B, L, H, d] and transposed to [B, H, L, d]"))
    plan.append(
        try scaledDotProductAttentionPlan(
            queries: heads(lq, dk, rowWidth: qWidth), keys: heads(lk, dk, rowWidth: kWidth),
            values: heads(lk, dv, rowWidth: vWidth),
            mask: mask),
        as: "attention output")  // [B, H, Lq, dv]
    let merged = [b, lq, h * dv]
    if TensorLayout(contiguous: [b, h, lq, dv]).permuted([0, 2, 1, 3]).viewed(as: merged) == nil {
        plan.steps.append(
            .copy(
                OperandCopy(
                    operand: "attention output", shape: merged, bytes: merged.product * MemoryLayout<Scalar>.stride,
                    reason:
                        "merging the heads: [B, H, Lq, dv] transposed to [B, Lq, H, dv] is not a view of [B, Lq, H·dv]")
            ))
    } else {
        plan.steps.append(.view("merged heads: [B, H, Lq, dv] as [B, Lq, H·dv]"))
    }
    plan.append(
        try linearPlan(
            input: TensorLayout(contiguous: merged), weight: TensorLayout(contiguous: [e, h * dv]), hasBias: bias,
            scalar: Scalar.self),
        as: "output")  // [B, Lq, E]
    plan.intermediates.removeLast()  // the output itself
    return plan
}

extension MultiHeadAttention {
    /// ``multiHeadAttentionPlan(query:key:value:numHeads:headDimK:headDimV:hasBias:selfAttention:mask:scalar:)``
    /// for this layer's sizes.
    /// - Throws: ``TensorError`` as the layer would for inputs of these shapes.
    public func plan(
        query: TensorLayout, key: TensorLayout, value: TensorLayout, selfAttention: Bool = false,
        mask: AttentionMask<Scalar> = .none
    ) throws -> LoweringPlan {
        try multiHeadAttentionPlan(
            query: query, key: key, value: value, numHeads: numHeads, headDimK: headDimK, headDimV: headDimV,
            hasBias: qBias != nil, selfAttention: selfAttention && keyDim == embedDim && valueDim == embedDim,
            mask: mask, scalar: Scalar.self)
    }
}

/// The steps ``TransformerEncoderLayer/callAsFunction(_:mask:)`` takes for an input `[B, L, E]`:
/// self-attention (``multiHeadAttentionPlan(query:key:value:numHeads:headDimK:headDimV:hasBias:selfAttention:mask:scalar:)``),
/// the feed-forward linear → activation → linear, LayerNorm passes and residual sums, in
/// post-norm (`x = norm1(x + SA(x)); x = norm2(x + FF(x))`) or pre-norm order.
/// - Throws: ``TensorError`` when the input is not `[B, L, E]` or E is not divisible by H.
public func transformerEncoderLayerPlan<Scalar: TensorScalar>(
    input: TensorLayout, numHeads: Int, feedForwardDim f: Int, normFirst: Bool = false,
    mask: AttentionMask<Scalar> = .none,
    scalar: Scalar.Type
) throws -> LoweringPlan {
    guard input.shape.count == 3 else {
        throw TensorError(op: "TransformerEncoderLayer", "input must be [B, L, E], got \(describe(input.shape))")
    }
    let shape = input.shape
    let e = input.shape[2]
    let bytes = shape.product * MemoryLayout<Scalar>.stride
    var plan = LoweringPlan(op: "TransformerEncoderLayer", steps: [], intermediates: [], outputShape: shape)
    func norm(_ name: String) {
        plan.steps.append(
            .pass("\(name): LayerNorm over E = \(e), in Double, into a new \(describe(shape)) (\(bytes) bytes)"))
    }
    func residual() { plan.steps.append(.pass("residual sum into a new \(describe(shape)) (\(bytes) bytes)")) }
    func attention(_ x: TensorLayout) throws {
        plan.append(
            try multiHeadAttentionPlan(
                query: x, key: x, value: x, numHeads: numHeads, selfAttention: true, mask: mask, scalar: Scalar.self),
            as: "self-attention")
    }
    func feedForward(_ x: TensorLayout) throws {
        plan.append(
            try linearPlan(input: x, weight: TensorLayout(contiguous: [f, e]), scalar: Scalar.self), as: "linear1")
        plan.steps.append(.pass("activation on [B, L, \(f)]"))
        plan.append(
            try linearPlan(
                input: TensorLayout(contiguous: [shape[0], shape[1], f]), weight: TensorLayout(contiguous: [e, f]),
                scalar: Scalar.self),
            as: "linear2")
    }
    let contiguous = TensorLayout(contiguous: shape)
    if normFirst {
        norm("norm1")
        try attention(contiguous)
        residual()
        norm("norm2")
        try feedForward(contiguous)
        residual()
    } else {
        try attention(input)
        residual()
        norm("norm1")
        try feedForward(contiguous)
        residual()
        norm("norm2")
    }
    return plan
}

extension TransformerEncoderLayer {
    /// ``transformerEncoderLayerPlan(input:numHeads:feedForwardDim:normFirst:mask:scalar:)`` for this layer.
    /// - Throws: ``TensorError`` as the layer would for an input of this shape.
    public func plan(input: TensorLayout, mask: AttentionMask<Scalar> = .none) throws -> LoweringPlan {
        try transformerEncoderLayerPlan(
            input: input, numHeads: selfAttention.numHeads, feedForwardDim: feedForward.linear1.outFeatures,
            normFirst: normFirst,
            mask: mask, scalar: Scalar.self)
    }
}
