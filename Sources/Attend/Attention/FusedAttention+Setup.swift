/// Sets up and runs ``FusedAttention``: broadcast batch strides, operands the kernels can read
/// (a copy only when a last dimension is strided), and the mask as
/// ``AttentionMask/resolved(scoresShape:)`` gives it for `[batch…, Lq, Lk]` — the same terms the
/// materialized path applies. `causalOffset`, when given, adds a causal term with that diagonal
/// offset (query i may attend key j iff j ≤ i + offset).
///
/// Per-call cost matters here (a toy (2, 4, 10, 32) call is a few microseconds of kernel work):
/// the common case — equal batch dimensions, no mask term — allocates only the output and the
/// batch-stride arrays, and the output is not zero-filled first (every path writes all of it).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func fusedAttention<Scalar: TensorScalar>(
    queries: Tensor<Scalar>, keys: Tensor<Scalar>, values: Tensor<Scalar>, mask: AttentionMask<Scalar>, scale: Scalar?,
    causalOffset: Int? = nil
) throws -> Tensor<Scalar> {
    let op = "scaledDotProductAttention"
    let batch = try attentionBatchShape(queries.shape, keys.shape, values.shape, op: op)
    let (lq, dk) = (queries.shape[queries.rank - 2], queries.shape[queries.rank - 1])
    let (lk, dv) = (keys.shape[keys.rank - 2], values.shape[values.rank - 1])
    var resolved: [AttentionMask<Scalar>.ResolvedTerm] = []
    if case .none = mask {
    } else {
        let scoresShape = batch + [lq, lk]
        try mask.validate(scoresShape: scoresShape, op: op)
        resolved = mask.resolved(scoresShape: scoresShape)
    }
    // [batch…, Lq, Dv]; with no key the output is zeros (as a fully masked row), else the kernel
    // writes every element.
    let output =
        lk > 0 ? Tensor<Scalar>(uninitializedShape: batch + [lq, dv]) : Tensor<Scalar>(shape: batch + [lq, dv])
    guard output.count > 0, lk > 0 else { return output }

    let q = kernelReadable(queries)  // [..., Lq, Dk]
    let k = kernelReadable(keys)  // [..., Lk, Dk]
    let v = kernelReadable(values)  // [..., Lk, Dv]
    func batchStrides(_ t: Tensor<Scalar>) -> [Int] {
        if t.rank == batch.count + 2, t.shape.prefix(batch.count).elementsEqual(batch) {
            return Array(t.strides.prefix(batch.count))  // no broadcast: the operand's own strides
        }
        return Array(t.broadcastStrides(to: batch + t.shape.suffix(2)).dropLast(2))
    }
    func rowStride(_ t: Tensor<Scalar>) -> Int {
        t.shape[t.rank - 2] <= 1 ? t.shape[t.rank - 1] : t.strides[t.rank - 2]
    }
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

/// The broadcast batch dimensions of queries `[..., Lq, Dk]`, keys `[..., Lk, Dk]` and values
/// `[..., Lk, Dv]` after ``checkAttentionShapes(_:_:_:op:)``'s rules (and with its messages);
/// equal batch dimensions — the usual case — are recognised without building the broadcasts.
private func attentionBatchShape(_ q: [Int], _ k: [Int], _ v: [Int], op: String) throws -> [Int] {
    let n = q.count - 2
    if n >= 0, k.count == q.count, v.count == q.count, q[n + 1] == k[n + 1], k[n] == v[n],
        q.prefix(n).elementsEqual(k.prefix(n)), q.prefix(n).elementsEqual(v.prefix(n))
    {
        return Array(q.prefix(n))
    }
    try checkAttentionShapes(q, k, v, op: op)
    return try broadcastShapes(
        broadcastShapes(Array(q.dropLast(2)), Array(k.dropLast(2)), op: op), Array(v.dropLast(2)), op: op)
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
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
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
