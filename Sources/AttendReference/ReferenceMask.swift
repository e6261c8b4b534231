/// Which attention scores take part in the softmax, for scores shaped [..., Lq, Lk].
///
/// Masked-out entries are excluded from the softmax (weight exactly 0). A query row whose keys are
/// all masked gets all-zero weights and an all-zero output (this deliberately differs from PyTorch,
/// which gives NaN there).
public indirect enum ReferenceMask<Scalar: ReferenceScalar>: Sendable {
    /// Every query attends every key.
    case none
    /// Top-left aligned causal mask: query i may attend key j iff j <= i (PyTorch
    /// `tril(ones(Lq, Lk))`, also when Lq != Lk).
    case causal
    /// Bottom-right aligned causal mask: with past = Lk - Lq, query i may attend key j iff
    /// j <= past + i (PyTorch's `CausalBias(LOWER_RIGHT)`; a query block continuing a history).
    case causalFromEnd
    /// Boolean mask as 0/1 values, 1 = MAY attend (PyTorch SDPA convention), broadcastable to the
    /// scores [..., Lq, Lk].
    case mayAttend(ReferenceArray<Scalar>)
    /// Added to the scaled scores; broadcastable to [..., Lq, Lk]; −inf entries are masked.
    case additive(ReferenceArray<Scalar>)
    /// [B, Lk] with 1 = IGNORE this key (nn.MultiheadAttention's key_padding_mask convention). B is
    /// the first dim of the scores (B may also be 1); it is broadcast over every dim between B and Lq.
    case keyPadding(ReferenceArray<Scalar>)
    /// All of the given masks at once: an entry is kept iff every mask keeps it; additive parts add up.
    case all([ReferenceMask<Scalar>])
}

extension ReferenceMask {
    /// The mask evaluated at every entry of scores shaped `scoresShape` ([..., Lq, Lk]); throws
    /// (naming `op`) when a part of the mask does not fit the scores.
    /// - Throws: ``ReferenceError`` when a mask tensor does not fit `scoresShape` (a key padding mask
    ///   must be `[B, Lk]` for scores `[B, ..., Lq, Lk]`; the others broadcast to the scores).
    public func resolved(scoresShape: [Int], op: String) throws -> ResolvedMask<Scalar> {
        try ResolvedMask(self, scoresShape: scoresShape, op: op)
    }
}

/// A mask evaluated at every entry of a scores array (flat, row-major over the scores shape).
public struct ResolvedMask<Scalar: ReferenceScalar>: Sendable {
    /// allowed[n] is false when some mask excludes entry n.
    public var allowed: [Bool]
    /// The sum of the additive masks at entry n.
    public var bias: [Scalar]

    init(_ mask: ReferenceMask<Scalar>, scoresShape: [Int], op: String) throws {
        let count = elementCount(scoresShape)
        allowed = [Bool](repeating: true, count: count)
        bias = [Scalar](repeating: 0, count: count)
        try apply(mask, scoresShape: scoresShape, op: op)
    }

    private mutating func apply(_ mask: ReferenceMask<Scalar>, scoresShape: [Int], op: String) throws {
        let rank = scoresShape.count
        let lq = scoresShape[rank - 2]
        let lk = scoresShape[rank - 1]
        switch mask {
        case .none:
            break
        case .causal:
            for n in 0..<allowed.count {
                let i = (n / lk) % lq
                let j = n % lk
                if j > i { allowed[n] = false }
            }
        case .causalFromEnd:
            for n in 0..<allowed.count {
                let i = (n / lk) % lq
                let j = n % lk
                if j > lk - lq + i { allowed[n] = false }
            }
        case .mayAttend(let m):
            try Reference.checkBroadcastable(m.shape, to: scoresShape, op: op, what: "mayAttend mask")
            let offsets = Reference.broadcastOffsets(m.shape, to: scoresShape)
            for n in 0..<allowed.count where m.values[offsets[n]] == 0 { allowed[n] = false }
        case .additive(let m):
            try Reference.checkBroadcastable(m.shape, to: scoresShape, op: op, what: "additive mask")
            let offsets = Reference.broadcastOffsets(m.shape, to: scoresShape)
            for n in 0..<bias.count { bias[n] += m.values[offsets[n]] }
        case .keyPadding(let p):
            guard rank >= 3, p.rank == 2, p.shape[1] == lk, p.shape[0] == scoresShape[0] || p.shape[0] == 1 else {
                throw ReferenceError.shapeMismatch(
                    op: op,
                    message:
                        "key padding mask \(formatShape(p.shape)) does not fit scores \(formatShape(scoresShape)) (needs scores [B, ..., Lq, Lk] of rank >= 3 and mask [B, Lk] = [\(rank >= 3 ? scoresShape[0] : 0), \(lk)])"
                )
            }
            let perBatch = allowed.count / Swift.max(scoresShape[0], 1)
            for n in 0..<allowed.count {
                let b = p.shape[0] == 1 ? 0 : n / perBatch
                let j = n % lk
                if p[b, j] != 0 { allowed[n] = false }
            }
        case .all(let masks):
            for m in masks { try apply(m, scoresShape: scoresShape, op: op) }
        }
    }
}
