extension Reference {
    /// Pairwise squared Euclidean distances computed directly as Σ_d (a − b)²:
    /// `out[..., n, m] = Σ_d (a[..., n, d] − b[..., m, d])²`.
    ///
    /// Shapes: a [..., N, D], b [..., M, D] → [..., N, M]; the batch dims broadcast.
    /// - Throws: ``ReferenceError`` when an operand has rank < 2, the D's differ or the batch dims do
    ///   not broadcast.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func squaredDistances<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        guard a.rank >= 2, b.rank >= 2, a.shape[a.rank - 1] == b.shape[b.rank - 1] else {
            throw ReferenceError.shapeMismatch(
                op: "squaredDistances",
                message:
                    "a \(formatShape(a.shape)) and b \(formatShape(b.shape)) must be [..., N, D] and [..., M, D] with the same D"
            )
        }
        let n = a.shape[a.rank - 2]
        let m = b.shape[b.rank - 2]
        let d = a.shape[a.rank - 1]
        let (batchShape, batches) = try broadcastBatches(
            [Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))], op: "squaredDistances")
        var out = [Scalar](repeating: 0, count: batches.count * n * m)
        for (batch, sources) in batches.enumerated() {
            for i in 0..<n {
                for j in 0..<m {
                    var total: Scalar = 0
                    for k in 0..<d {
                        let diff = a.values[(sources[0] * n + i) * d + k] - b.values[(sources[1] * m + j) * d + k]
                        total += diff * diff
                    }
                    out[(batch * n + i) * m + j] = total
                }
            }
        }
        return ReferenceArray(shape: batchShape + [n, m], values: out)
    }

    /// Pairwise Euclidean distances `√(Σ_d (a − b)²)` (torch.cdist with p = 2);
    /// a [..., N, D], b [..., M, D] → [..., N, M].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when the batch dims or D of `a` and `b` differ.
    public static func euclideanDistances<Scalar>(_ a: ReferenceArray<Scalar>, _ b: ReferenceArray<Scalar>) throws
        -> ReferenceArray<Scalar>
    {
        map(try squaredDistances(a, b)) { Scalar.sqrt($0) }
    }
}
