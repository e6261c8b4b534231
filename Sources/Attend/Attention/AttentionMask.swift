/// Which keys each query may attend to — one typed value, so the three conventions found in
/// PyTorch code (boolean "may attend", boolean "ignore", additive float) cannot be confused.
///
/// Masks apply to attention scores of shape `[..., Lq, Lk]`. An entry that is *masked* is left
/// out of the softmax (weight exactly 0). A query row whose keys are **all** masked gets zero
/// weights and a zero output — never NaN (PyTorch returns NaN there).
public indirect enum AttentionMask<Scalar: TensorScalar>: Sendable {
    /// Every query sees every key.
    case none
    /// Query i may attend key j iff j ≤ i — PyTorch's `tril(ones(Lq, Lk))`, aligned at the
    /// top-left also when Lq ≠ Lk (so with Lq > Lk the last queries see every key, and with
    /// Lq < Lk the later keys are never seen by anyone).
    case causal
    /// Causal with the diagonal aligned at the bottom-right, for a query block that continues a
    /// history: with `past = Lk − Lq`, query i (absolute position past + i) may attend key j iff
    /// j ≤ past + i — PyTorch's `CausalBias(LOWER_RIGHT)`, `tril(ones(Lq, Lk), diagonal: Lk − Lq)`.
    /// Equals ``causal`` when Lq = Lk; with Lq = 1 the one query sees every key (a decode step).
    /// With Lq > Lk the first Lq − Lk queries see no key (zero output).
    case causalFromEnd
    /// `true` = MAY attend (PyTorch `scaled_dot_product_attention`'s boolean `attn_mask`),
    /// broadcastable to `[..., Lq, Lk]`.
    case mayAttend(BoolTensor)
    /// Added to the scaled scores before the softmax, broadcastable to `[..., Lq, Lk]`;
    /// `-inf` entries are masked. (A large finite value such as −1e9 is *not* a mask: a row of
    /// −1e9 still averages its keys, exactly as in PyTorch.)
    case additive(Tensor<Scalar>)
    /// `[B, Lk]` with `true` = IGNORE this key (nn.MultiheadAttention's `key_padding_mask`);
    /// `B` is the first dimension of the scores, broadcast over the dimensions between (heads).
    case keyPadding(BoolTensor)
    /// Several masks at once, e.g. `[.causal, .keyPadding(padding)]`: masked if any masks it. A
    /// key that a causal or boolean mask excludes stays excluded whatever the additive masks add
    /// there (an additive `+inf` on it is not `−inf + inf` = NaN), in any order of the list.
    case all([AttentionMask])

    /// Checks the mask against scores of shape `[..., Lq, Lk]` — the one statement of which masks
    /// fit which scores, used by every attention path (and by `attend run` before it reads anything
    /// else): `.mayAttend` and `.additive` must broadcast to the scores without enlarging them,
    /// `.keyPadding` must be `[B, Lk]` with B the scores' first dimension (or 1).
    /// - Throws: ``TensorError`` from `op`, naming the mask case, its shape and the scores' shape.
    public func validate(scoresShape: [Int], op: String) throws {
        guard scoresShape.count >= 2 else {
            throw TensorError(op: op, "attention scores must be [..., Lq, Lk], got \(describe(scoresShape))")
        }
        let (lq, lk) = (scoresShape[scoresShape.count - 2], scoresShape[scoresShape.count - 1])
        switch self {
        case .none, .causal, .causalFromEnd:
            return
        case .mayAttend(let mask):
            guard mask.broadcastStrides(to: scoresShape) != nil else {
                throw TensorError(
                    op: op,
                    "mayAttend mask \(describe(mask.shape)) does not broadcast to the scores \(describe(scoresShape)) ([..., Lq=\(lq), Lk=\(lk)])"
                )
            }
        case .additive(let mask):
            // Name the mask: a bare "shapes … do not broadcast" would not say which operand.
            guard (try? broadcastShapes(mask.shape, scoresShape, op: op)) == scoresShape else {
                throw TensorError(
                    op: op,
                    "additive mask \(describe(mask.shape)) would enlarge the scores \(describe(scoresShape)); it must broadcast to [..., Lq=\(lq), Lk=\(lk)]"
                )
            }
        case .keyPadding(let mask):
            guard mask.shape.count == 2, scoresShape.count >= 3, mask.shape[0] == scoresShape[0] || mask.shape[0] == 1,
                mask.shape[1] == lk
            else {
                throw TensorError(
                    op: op,
                    "keyPadding mask must be [B, Lk] = [\(scoresShape.count >= 3 ? scoresShape[0] : 1), \(lk)] for scores \(describe(scoresShape)), got \(describe(mask.shape))"
                )
            }
        case .all(let masks):
            for mask in masks { try mask.validate(scoresShape: scoresShape, op: op) }
        }
    }

    /// Applies the mask in place to contiguous scores `[..., Lq, Lk]`: adds additive masks and
    /// sets masked entries to −∞ (so the softmax gives them weight 0), term by term of
    /// ``resolved(scoresShape:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func apply(to scores: inout Tensor<Scalar>) {
        let shape = scores.shape
        let (lq, lk) = (shape[shape.count - 2], shape[shape.count - 1])
        let pointer = scores.storage.pointer
        for term in resolved(scoresShape: shape) {
            switch term {
            case .causal(let offset):
                for row in 0..<(scores.count / Swift.max(lq * lk, 1)) * lq {
                    let i = row % lq
                    let base = row * lk
                    for j in Swift.min(Swift.max(i + offset + 1, 0), lk)..<lk { pointer[base + j] = -.infinity }
                }
            case .flags(let mask, let strides, let maskedWhen):
                Self.maskWhere(mask, strides: strides, equals: maskedWhen, shape: shape, pointer)
            case .additive(let mask, let strides):
                StridedLoop(shape: shape, strides: [strides, scores.strides])
                    .forEachRow(baseOffsets: [mask.offset, 0]) { starts, n, inner in
                        let source = mask.storage.pointer
                        var m = starts[0]
                        var s = starts[1]
                        for _ in 0..<n {
                            pointer[s] += source[m]
                            m += inner[0]
                            s += inner[1]
                        }
                    }
            }
        }
    }

    /// One term of a mask resolved against scores `[batch…, Lq, Lk]`, with the strides that
    /// broadcast it there — what an attention path consumes, so the meaning of each case is
    /// decided here once.
    enum ResolvedTerm {
        /// Key j is masked for query i when j > i + offset: offset 0 for ``AttentionMask/causal``
        /// (top-left aligned), Lk − Lq for ``AttentionMask/causalFromEnd`` (bottom-right).
        case causal(offset: Int)
        /// Masked where `mask` (read through `strides`, broadcast to the scores) equals
        /// `maskedWhen`: false for `.mayAttend`, true for `.keyPadding`.
        case flags(BoolTensor, strides: [Int], maskedWhen: Bool)
        /// Added to the scores, read through `strides`.
        case additive(Tensor<Scalar>, strides: [Int])

        var isAdditive: Bool { if case .additive = self { true } else { false } }
    }

    /// The mask as a flat list of terms against scores of `scoresShape`, validated before (see
    /// ``validate(scoresShape:op:)``). A key padding mask `[B, Lk]` is aligned to the scores as
    /// `[B, 1, …, 1, Lk]` here. Additive terms come first: a key that a causal or boolean term
    /// excludes is then −∞ whatever its additive value (an additive +∞ there is not ∞ − ∞ = NaN),
    /// as in the reference, `allowed ? s + bias : −∞`.
    func resolved(scoresShape: [Int]) -> [ResolvedTerm] {
        switch self {
        case .none:
            return []
        case .causal:
            return [.causal(offset: 0)]
        case .causalFromEnd:
            return [.causal(offset: scoresShape[scoresShape.count - 1] - scoresShape[scoresShape.count - 2])]
        case .mayAttend(let mask):
            return [.flags(mask, strides: mask.broadcastStrides(to: scoresShape)!, maskedWhen: false)]  // validated
        case .keyPadding(let mask):
            let aligned = try! BoolTensor(  // validated: [B, Lk] → [B, 1, …, 1, Lk]
                shape: [mask.shape[0]] + Array(repeating: 1, count: scoresShape.count - 2) + [mask.shape[1]],
                elements: mask.elements)
            return [.flags(aligned, strides: aligned.broadcastStrides(to: scoresShape)!, maskedWhen: true)]
        case .additive(let mask):
            return [.additive(mask, strides: mask.broadcastStrides(to: scoresShape))]
        case .all(let masks):
            let terms = masks.flatMap { $0.resolved(scoresShape: scoresShape) }
            return terms.filter(\.isAdditive) + terms.filter { !$0.isAdditive }
        }
    }

    /// Sets scores to −∞ wherever the boolean mask, read through `maskStrides`, equals `flag`.
    private static func maskWhere(
        _ mask: BoolTensor, strides maskStrides: [Int], equals flag: Bool, shape: [Int],
        _ pointer: UnsafeMutablePointer<Scalar>
    ) {
        mask.elements.withUnsafeBufferPointer { flags in
            StridedLoop(shape: shape, strides: [maskStrides, contiguousStrides(for: shape)])
                .forEachRow(baseOffsets: [0, 0]) { starts, n, inner in
                    var m = starts[0]
                    var s = starts[1]
                    for _ in 0..<n {
                        if flags[m] == flag { pointer[s] = -.infinity }
                        m += inner[0]
                        s += inner[1]
                    }
                }
        }
    }

    /// A one-line description for plans.
    var summary: String {
        switch self {
        case .none: return "none"
        case .causal: return "causal (top-left)"
        case .causalFromEnd: return "causal (bottom-right)"
        case .mayAttend(let m): return "mayAttend \(describe(m.shape))"
        case .additive(let m): return "additive \(describe(m.shape))"
        case .keyPadding(let m): return "keyPadding \(describe(m.shape))"
        case .all(let masks): return masks.map(\.summary).joined(separator: " + ")
        }
    }
}
