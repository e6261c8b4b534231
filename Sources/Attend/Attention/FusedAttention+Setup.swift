/// Sets up and runs ``FusedAttention``: broadcast batch strides, operands the kernels can read
/// (a copy only when a last dimension is strided), and the mask as
/// ``AttentionMask/resolved(scoresShape:)`` gives it for `[batch…, Lq, Lk]` — the same terms the
/// materialized path applies. `causalOffset`, when given, adds a causal term with that diagonal
/// offset (query i may attend key j iff j ≤ i + offset).
func fusedAttention<Scalar: TensorScalar>(
    queries: Tensor<Scalar>, keys: Tensor<Scalar>, values: Tensor<Scalar>, mask: AttentionMask<Scalar>, scale: Scalar?,
    causalOffset: Int? = nil
) throws -> Tensor<Scalar> {
    let op = "scaledDotProductAttention"
    try checkAttentionShapes(queries.shape, keys.shape, values.shape, op: op)
    let (lq, dk) = (queries.shape[queries.rank - 2], queries.shape[queries.rank - 1])
    let (lk, dv) = (keys.shape[keys.rank - 2], values.shape[values.rank - 1])
    let batch = try broadcastShapes(
        broadcastShapes(Array(queries.shape.dropLast(2)), Array(keys.shape.dropLast(2)), op: op),
        Array(values.shape.dropLast(2)), op: op)
    let scoresShape = batch + [lq, lk]
    try mask.validate(scoresShape: scoresShape, op: op)
    let output = Tensor<Scalar>(shape: batch + [lq, dv])  // [batch…, Lq, Dv]
    guard output.count > 0, lk > 0 else { return output }  // no key: zeros, as a fully masked row

    let q = kernelReadable(queries)  // [..., Lq, Dk]
    let k = kernelReadable(keys)  // [..., Lk, Dk]
    let v = kernelReadable(values)  // [..., Lk, Dv]
    func batchStrides(_ t: Tensor<Scalar>) -> [Int] {
        Array(t.broadcastStrides(to: batch + t.shape.suffix(2)).dropLast(2))
    }
    func rowStride(_ t: Tensor<Scalar>) -> Int {
        t.shape[t.rank - 2] <= 1 ? t.shape[t.rank - 1] : t.strides[t.rank - 2]
    }
    var resolved = mask.resolved(scoresShape: scoresShape)
    if let causalOffset { resolved.append(.causal(offset: causalOffset)) }
    withKernelTerms(resolved[...], []) { terms in
        let kernel = FusedAttention<Scalar>(
            batchShape: batch, lq: lq, lk: lk, dk: dk, dv: dv,
            scale: scale ?? Scalar(1 / Double(dk).squareRoot()),
            qBatch: batchStrides(q), kBatch: batchStrides(k), vBatch: batchStrides(v),
            qRow: rowStride(q), kRow: rowStride(k), vRow: rowStride(v), terms: terms)
        withExtendedLifetime((q, k, v)) {
            kernel.run(
                q: UnsafePointer(q.storage.pointer + q.offset), k: UnsafePointer(k.storage.pointer + k.offset),
                v: UnsafePointer(v.storage.pointer + v.offset), output: output.storage.pointer)
        }
    }
    return output
}

/// The operand itself when rows are unit-stride with room for D, else a contiguous copy.
private func kernelReadable<Scalar: TensorScalar>(_ t: Tensor<Scalar>) -> Tensor<Scalar> {
    let (rows, cols) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
    let (rowStride, colStride) = (t.strides[t.rank - 2], t.strides[t.rank - 1])
    return (cols <= 1 || colStride == 1) && (rows <= 1 || rowStride >= Swift.max(cols, 1)) ? t : t.materialized()
}

/// Calls `body` with the resolved mask terms as the kernel reads them: pointers into each term's
/// own storage, valid only inside `body` (each flag array is borrowed for that long, each
/// additive tensor kept alive). The scores are non-empty, so every flag array is too.
private func withKernelTerms<Scalar: TensorScalar>(
    _ resolved: ArraySlice<AttentionMask<Scalar>.ResolvedTerm>, _ done: [FusedAttention<Scalar>.MaskTerm],
    _ body: ([FusedAttention<Scalar>.MaskTerm]) -> Void
) {
    guard let term = resolved.first else { return body(done) }
    let rest = resolved.dropFirst()
    /// Batch strides, then the row and column strides of `[batch…, Lq, Lk]`.
    func split(_ strides: [Int]) -> (batch: [Int], row: Int, column: Int) {
        (Array(strides.dropLast(2)), strides[strides.count - 2], strides[strides.count - 1])
    }
    switch term {
    case .causal(let offset):
        withKernelTerms(rest, done + [.causal(offset: offset)], body)
    case .flags(let flags, let strides, let maskedWhen):
        let (batch, row, column) = split(strides)
        flags.elements.withUnsafeBufferPointer { buffer in
            let term = FusedAttention<Scalar>.MaskTerm.flags(
                buffer.baseAddress!, batch: batch, row: row, column: column, maskedWhen: maskedWhen)
            withKernelTerms(rest, done + [term], body)
        }
    case .additive(let values, let strides):
        let (batch, row, column) = split(strides)
        withExtendedLifetime(values) {
            let term = FusedAttention<Scalar>.MaskTerm.additive(
                UnsafePointer(values.storage.pointer + values.offset), batch: batch, row: row, column: column)
            withKernelTerms(rest, done + [term], body)
        }
    }
}
