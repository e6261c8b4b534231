extension Reference {
    /// Matrix product with torch.matmul semantics.
    ///
    /// - 1-D · 1-D: the dot product Σ_k a[k]·b[k], a rank-0 result.
    /// - a 1-D is treated as [1, n] (a row) and b 1-D as [n, 1] (a column); the added dim is removed
    ///   from the result.
    /// - Otherwise a [..., n, k] · b [..., k, m] → [..., n, m] with
    ///   `out[..., i, j] = Σ_p a[..., i, p]·b[..., p, j]`, the batch dims broadcast (NumPy rule).
    /// - Throws: ``ReferenceError`` for a rank-0 operand, mismatched inner sizes or batch dims that
    ///   do not broadcast.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func matmul<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        guard a.rank >= 1, b.rank >= 1 else {
            throw ReferenceError.shapeMismatch(
                op: "matmul",
                message: "a \(formatShape(a.shape)) and b \(formatShape(b.shape)): both operands need at least one dim")
        }
        // Promote 1-D operands to matrices.
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let n = aShape[aShape.count - 2]
        let inner = aShape[aShape.count - 1]
        let innerB = bShape[bShape.count - 2]
        let m = bShape[bShape.count - 1]
        guard inner == innerB else {
            throw ReferenceError.shapeMismatch(
                op: "matmul",
                message:
                    "a \(formatShape(a.shape)) and b \(formatShape(b.shape)) cannot be multiplied: a.shape[-1] (\(inner)) must equal b.shape[\(b.rank == 1 ? -1 : -2)] (\(innerB))"
            )
        }
        let (batchShape, batches) = try broadcastBatches(
            [Array(aShape.dropLast(2)), Array(bShape.dropLast(2))], op: "matmul")

        var out = [Scalar](repeating: 0, count: batches.count * n * m)
        for (batch, sources) in batches.enumerated() {
            let aBase = sources[0] * n * inner
            let bBase = sources[1] * inner * m
            let outBase = batch * n * m
            for i in 0..<n {
                for j in 0..<m {
                    var total: Scalar = 0
                    for p in 0..<inner {
                        total += a.values[aBase + i * inner + p] * b.values[bBase + p * m + j]
                    }
                    out[outBase + i * m + j] = total
                }
            }
        }

        var shape = batchShape
        if a.rank > 1 { shape.append(n) }
        if b.rank > 1 { shape.append(m) }
        return ReferenceArray(shape: shape, values: out)
    }
}
