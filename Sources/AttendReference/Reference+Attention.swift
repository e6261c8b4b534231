import RealModule

extension Reference {
    /// Scaled dot-product attention.
    ///
    /// - scores `s[..., i, j] = (Σ_d q[..., i, d]·k[..., j, d])·scale (+ additive mask)`, scale
    ///   defaulting to 1/√Dk;
    /// - weights `w[..., i, :] = softmax_j(s[..., i, :])` over the entries the mask keeps (masked and
    ///   −inf entries get weight 0); a row with no kept finite entry gets all-zero weights (never NaN —
    ///   unlike PyTorch);
    /// - if `dropoutFactors` (broadcastable to [..., Lq, Lk], values 0 or 1/(1 − p)) is given, it is
    ///   multiplied into the weights, and the returned weights are these;
    /// - output `o[..., i, e] = Σ_j w[..., i, j]·v[..., j, e]`.
    ///
    /// Shapes: queries [..., Lq, Dk], keys [..., Lk, Dk], values [..., Lk, Dv] (batch dims broadcast)
    /// → output [..., Lq, Dv], weights [..., Lq, Lk].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the batch dims, Dk or Lk of queries, keys and
    ///   values disagree or the mask
    ///   does not broadcast to the scores `[..., Lq, Lk]`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func scaledDotProductAttention<Scalar>(
        queries: ReferenceArray<Scalar>, keys: ReferenceArray<Scalar>, values: ReferenceArray<Scalar>,
        mask: ReferenceMask<Scalar> = .none, scale: Scalar? = nil, dropoutFactors: ReferenceArray<Scalar>? = nil
    ) throws -> (output: ReferenceArray<Scalar>, weights: ReferenceArray<Scalar>) {
        let op = "scaledDotProductAttention"
        guard queries.rank >= 2, keys.rank >= 2, values.rank >= 2 else {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "queries \(formatShape(queries.shape)), keys \(formatShape(keys.shape)), values \(formatShape(values.shape)) must each have rank >= 2 ([..., L, D])"
            )
        }
        let lq = queries.shape[queries.rank - 2]
        let dk = queries.shape[queries.rank - 1]
        let lk = keys.shape[keys.rank - 2]
        let dv = values.shape[values.rank - 1]
        guard keys.shape[keys.rank - 1] == dk, values.shape[values.rank - 2] == lk else {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "queries \(formatShape(queries.shape)), keys \(formatShape(keys.shape)), values \(formatShape(values.shape)) do not fit (needs queries [..., Lq, Dk], keys [..., Lk, Dk], values [..., Lk, Dv])"
            )
        }
        let (batchShape, batches) = try broadcastBatches(
            [Array(queries.shape.dropLast(2)), Array(keys.shape.dropLast(2)), Array(values.shape.dropLast(2))], op: op)
        let scoresShape = batchShape + [lq, lk]
        let factor = scale ?? (1 / Scalar.sqrt(Scalar(dk)))

        // Scaled scores.
        var weights = [Scalar](repeating: 0, count: batches.count * lq * lk)
        for (batch, sources) in batches.enumerated() {
            for i in 0..<lq {
                for j in 0..<lk {
                    var dot: Scalar = 0
                    for d in 0..<dk {
                        dot +=
                            queries.values[(sources[0] * lq + i) * dk + d] * keys.values[(sources[1] * lk + j) * dk + d]
                    }
                    weights[(batch * lq + i) * lk + j] = dot * factor
                }
            }
        }

        // Mask, softmax, dropout.
        let resolved = try ResolvedMask(mask, scoresShape: scoresShape, op: op)
        maskedSoftmaxRows(&weights, mask: resolved, rowLength: lk)
        if let dropoutFactors {
            try checkBroadcastable(dropoutFactors.shape, to: scoresShape, op: op, what: "dropoutFactors")
            let offsets = broadcastOffsets(dropoutFactors.shape, to: scoresShape)
            for n in 0..<weights.count { weights[n] *= dropoutFactors.values[offsets[n]] }
        }

        // Weighted sum of the values.
        var output = [Scalar](repeating: 0, count: batches.count * lq * dv)
        for (batch, sources) in batches.enumerated() {
            for i in 0..<lq {
                for e in 0..<dv {
                    var total: Scalar = 0
                    for j in 0..<lk {
                        total += weights[(batch * lq + i) * lk + j] * values.values[(sources[2] * lk + j) * dv + e]
                    }
                    output[(batch * lq + i) * dv + e] = total
                }
            }
        }
        return (
            ReferenceArray(shape: batchShape + [lq, dv], values: output),
            ReferenceArray(shape: scoresShape, values: weights)
        )
    }

    /// Adds the mask's additive part to `scores`, then replaces each row of `rowLength` entries by its
    /// softmax over the kept entries (entries the mask excludes, and −inf entries, get 0; a row with
    /// nothing kept becomes all zeros).
    static func maskedSoftmaxRows<Scalar: ReferenceScalar>(
        _ scores: inout [Scalar], mask: ResolvedMask<Scalar>, rowLength: Int
    ) {
        guard rowLength > 0 else { return }
        for n in 0..<scores.count {
            scores[n] = mask.allowed[n] ? scores[n] + mask.bias[n] : -Scalar.infinity
        }
        for row in 0..<(scores.count / rowLength) {
            let range = (row * rowLength)..<((row + 1) * rowLength)
            let softmax = softmaxOfLine(Array(scores[range]))
            scores.replaceSubrange(range, with: softmax)
        }
    }
}
