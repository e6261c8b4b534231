import RealModule

/// The parameters of a multi-head attention block, in PyTorch's [out, in] layout.
///
/// With H heads, per-head query/key width dk and per-head value width dv (which may differ):
/// qWeight [H·dk, E], kWeight [H·dk, kdim], vWeight [H·dv, vdim], biases [H·dk], [H·dk], [H·dv],
/// outWeight [E, H·dv], outBias [E]. Head h owns rows h·dk..<(h+1)·dk of the query/key projections
/// and rows h·dv..<(h+1)·dv of the value projection.
public struct ReferenceMultiHeadAttentionWeights<Scalar: ReferenceScalar>: Sendable {
    /// H, the number of heads.
    public var numHeads: Int
    /// Query projection [H·dk, E].
    public var qWeight: ReferenceArray<Scalar>
    /// Key projection [H·dk, kdim].
    public var kWeight: ReferenceArray<Scalar>
    /// Value projection [H·dv, vdim].
    public var vWeight: ReferenceArray<Scalar>
    /// Query bias [H·dk] or nil.
    public var qBias: ReferenceArray<Scalar>?
    /// Key bias [H·dk] or nil.
    public var kBias: ReferenceArray<Scalar>?
    /// Value bias [H·dv] or nil.
    public var vBias: ReferenceArray<Scalar>?
    /// Output projection [E, H·dv].
    public var outWeight: ReferenceArray<Scalar>
    /// Output bias [E] or nil.
    public var outBias: ReferenceArray<Scalar>?

    /// Stores the parameters as given; shapes are checked when the block is applied.
    public init(
        numHeads: Int,
        qWeight: ReferenceArray<Scalar>, kWeight: ReferenceArray<Scalar>, vWeight: ReferenceArray<Scalar>,
        qBias: ReferenceArray<Scalar>? = nil, kBias: ReferenceArray<Scalar>? = nil,
        vBias: ReferenceArray<Scalar>? = nil,
        outWeight: ReferenceArray<Scalar>, outBias: ReferenceArray<Scalar>? = nil
    ) {
        self.numHeads = numHeads
        self.qWeight = qWeight
        self.kWeight = kWeight
        self.vWeight = vWeight
        self.qBias = qBias
        self.kBias = kBias
        self.vBias = vBias
        self.outWeight = outWeight
        self.outBias = outBias
    }

    /// The per-head query/key width dk = qWeight.shape[0] / numHeads.
    public var headDim: Int { qWeight.shape[0] / numHeads }
    /// The per-head value width dv = vWeight.shape[0] / numHeads.
    public var valueHeadDim: Int { vWeight.shape[0] / numHeads }
}

extension Reference {
    /// Multi-head attention (nn.MultiheadAttention, batch_first, eval mode), written with explicit
    /// per-head loops:
    ///
    /// - Q = query·Wqᵀ + bq, K = key·Wkᵀ + bk, V = value·Wvᵀ + bv;
    /// - for each head h: `s[b, h, i, j] = (Σ_{d<dk} Q[b, i, h·dk + d]·K[b, j, h·dk + d]) / √dk`, the
    ///   mask applied to s [B, H, Lq, Lk], `w[b, h, i, :] = softmax_j` over kept entries (all-zero
    ///   when a row has none), `head_h[b, i, e] = Σ_j w[b, h, i, j]·V[b, j, h·dv + e]`;
    /// - concat[b, i, h·dv + e] = head_h[b, i, e]; output = concat·Woutᵀ + bout.
    ///
    /// Shapes: query [B, Lq, E], key [B, Lk, kdim], value [B, Lk, vdim] → output [B, Lq, E] and
    /// weights [B, Lq, Lk] (averaged over heads) or [B, H, Lq, Lk] when `averageWeights` is false.
    /// The mask applies to scores [B, H, Lq, Lk]; `.keyPadding` takes [B, Lk].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the inputs' widths do not match the weights, E is
    ///   not divisible by the
    ///   heads, or the mask does not broadcast to the scores `[B, H, Lq, Lk]`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func multiHeadAttention<Scalar>(
        query: ReferenceArray<Scalar>, key: ReferenceArray<Scalar>, value: ReferenceArray<Scalar>,
        weights p: ReferenceMultiHeadAttentionWeights<Scalar>, mask: ReferenceMask<Scalar> = .none,
        averageWeights: Bool = true
    ) throws -> (output: ReferenceArray<Scalar>, weights: ReferenceArray<Scalar>) {
        let op = "multiHeadAttention"
        guard query.rank == 3, key.rank == 3, value.rank == 3,
            key.shape[0] == query.shape[0], value.shape[0] == query.shape[0], value.shape[1] == key.shape[1]
        else {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "query \(formatShape(query.shape)), key \(formatShape(key.shape)), value \(formatShape(value.shape)) must be [B, Lq, E], [B, Lk, kdim], [B, Lk, vdim]"
            )
        }
        let (batch, lq, embed) = (query.shape[0], query.shape[1], query.shape[2])
        let lk = key.shape[1]
        let heads = p.numHeads
        guard heads >= 1, p.qWeight.rank == 2, p.vWeight.rank == 2,
            p.qWeight.shape[0] % heads == 0, p.vWeight.shape[0] % heads == 0,
            p.qWeight.shape[1] == embed,
            p.kWeight.shape == [p.qWeight.shape[0], key.shape[2]],
            p.vWeight.shape[1] == value.shape[2],
            p.outWeight.shape == [embed, p.vWeight.shape[0]]
        else {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "weights qWeight \(formatShape(p.qWeight.shape)), kWeight \(formatShape(p.kWeight.shape)), vWeight \(formatShape(p.vWeight.shape)), outWeight \(formatShape(p.outWeight.shape)) with \(heads) heads do not fit query \(formatShape(query.shape)), key \(formatShape(key.shape)), value \(formatShape(value.shape)) (needs qWeight [H·dk, E], kWeight [H·dk, kdim], vWeight [H·dv, vdim], outWeight [E, H·dv])"
            )
        }
        let dk = p.qWeight.shape[0] / heads
        let dv = p.vWeight.shape[0] / heads

        let q = try linear(query, weight: p.qWeight, bias: p.qBias)  // [B, Lq, H·dk]
        let k = try linear(key, weight: p.kWeight, bias: p.kBias)  // [B, Lk, H·dk]
        let v = try linear(value, weight: p.vWeight, bias: p.vBias)  // [B, Lk, H·dv]

        // Flat positions in the row-major arrays (all contiguous, so index arithmetic is direct).
        // q, k: [B, L, H·dk]; v: [B, Lk, H·dv]; scores: [B, H, Lq, Lk]; concat: [B, Lq, H·dv].
        func scoreIndex(_ b: Int, _ h: Int, _ i: Int, _ j: Int) -> Int { ((b * heads + h) * lq + i) * lk + j }

        // Scores of every head: s[b, h, i, j] = Σ_d Q[b, i, h·dk + d]·K[b, j, h·dk + d] / √dk.
        let scale = 1 / Scalar.sqrt(Scalar(dk))
        let scoresShape = [batch, heads, lq, lk]
        var w = [Scalar](repeating: 0, count: batch * heads * lq * lk)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<lq {
                    for j in 0..<lk {
                        var dot: Scalar = 0
                        for d in 0..<dk {
                            dot +=
                                q.values[(b * lq + i) * heads * dk + h * dk + d]
                                * k.values[(b * lk + j) * heads * dk + h * dk + d]
                        }
                        w[scoreIndex(b, h, i, j)] = dot * scale
                    }
                }
            }
        }
        let resolved = try ResolvedMask(mask, scoresShape: scoresShape, op: op)
        maskedSoftmaxRows(&w, mask: resolved, rowLength: lk)

        // Each head's output, written into its columns of the concatenation [B, Lq, H·dv]:
        // concat[b, i, h·dv + e] = Σ_j w[b, h, i, j]·V[b, j, h·dv + e].
        var concat = [Scalar](repeating: 0, count: batch * lq * heads * dv)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<lq {
                    for e in 0..<dv {
                        var total: Scalar = 0
                        for j in 0..<lk {
                            total += w[scoreIndex(b, h, i, j)] * v.values[(b * lk + j) * heads * dv + h * dv + e]
                        }
                        concat[(b * lq + i) * heads * dv + h * dv + e] = total
                    }
                }
            }
        }
        let output = try linear(
            ReferenceArray(shape: [batch, lq, heads * dv], values: concat), weight: p.outWeight, bias: p.outBias)

        guard averageWeights else { return (output, ReferenceArray(shape: scoresShape, values: w)) }
        // averaged[b, i, j] = (1/H)·Σ_h w[b, h, i, j]
        var averaged = [Scalar](repeating: 0, count: batch * lq * lk)
        for b in 0..<batch {
            for i in 0..<lq {
                for j in 0..<lk {
                    var total: Scalar = 0
                    for h in 0..<heads { total += w[scoreIndex(b, h, i, j)] }
                    averaged[(b * lq + i) * lk + j] = total / Scalar(heads)
                }
            }
        }
        return (output, ReferenceArray(shape: [batch, lq, lk], values: averaged))
    }
}
