/// Einstein summation in NumPy / PyTorch notation, lowered onto batched GEMM.
///
/// `out[output indices] = Σ_{every other index} Π_t operands[t][indices of term t]`
///
///     let scores = try einsum("bhld,bhmd->bhlm", q, k)      // [B, H, L, D] · [B, H, M, D] → [B, H, L, M]
///     let product = try einsum("ij,jk", a, b)               // implicit output "ik"
///     let batched = try einsum("...ij,...jk->...ik", a, b)  // ellipsis dimensions broadcast
///     let diagonal = try einsum("ii->i", m)                 // a strided view, no copy
///     let trace = try einsum("ii", m)                       // rank 0
///
/// Notation: terms separated by `,`, letters `a–z A–Z` name indices, spaces are ignored.
/// - Explicit output after `->`; `"ij->"` sums everything. Without `->` the output is the
///   ellipsis dimensions, then the letters occurring exactly once, alphabetically.
/// - `...` covers any number of dimensions; those of all operands broadcast from the right. An
///   explicit output without `...` sums them.
/// - A letter repeated in one term walks the diagonal; a letter of size 1 in one operand
///   broadcasts against its size elsewhere (like torch).
///
/// Lowering (see ``einsumPlan(_:_:scalar:)`` for the exact steps): each pairwise contraction is
/// one batched GEMM, operands are permuted and reshaped with views wherever their strides allow,
/// transposes become BLAS flags, and three or more operands are contracted greedily, smallest
/// intermediate first. `"bhld,bhmd->bhlm"` copies nothing and issues one batched `sgemm` with
/// `transB`, exactly like `matmul(q, k.transposed(-2, -1))`.
///
/// The result is a view of the input when the equation only permutes or takes a diagonal of one
/// operand (`"ij->ji"`, `"ii->i"`), as in PyTorch; otherwise a new row-major tensor.
///
/// - Throws: ``TensorError`` (op `"einsum"`): a malformed equation (naming the character and its
///   position), a term count that differs from the operand count, a term that does not fit its
///   operand's rank, an index with two sizes (`index 'd' has size 32 in operand 0 but 16 in
///   operand 1`), an output index in no input or repeated in the output.
/// - SeeAlso: `Reference.einsum` in AttendReference, the naive loop this is checked against.
public func einsum<Scalar: TensorScalar>(_ equation: String, _ operands: [Tensor<Scalar>]) throws -> Tensor<Scalar> {
    try EinsumLowering(equation, operands.map(\.layout), scalar: Scalar.self).run(operands)
}

/// ``einsum(_:_:)-(_,[Tensor<Scalar>])`` with the operands as arguments: `einsum("ij,jk->ik", a, b)`.
/// - Throws: ``TensorError`` for a malformed equation or one that does not fit the operands (their count,
///   ranks, or a letter with two extents), as the array form does.
public func einsum<Scalar: TensorScalar>(_ equation: String, _ operands: Tensor<Scalar>...) throws -> Tensor<Scalar> {
    try einsum(equation, operands)
}

/// What ``einsum(_:_:)-(_,[Tensor<Scalar>])`` will do for operands with these layouts — views, reductions, copies
/// (with their bytes), GEMM calls and every intermediate's shape — without any data, so it can
/// be printed by `attend explain`.
///
///     let plan = try einsumPlan("bhld,bhmd->bhlm", [q.layout, k.layout], scalar: Float.self)
///     plan.copies.isEmpty   // true: one batched sgemm with transB
///
/// - Throws: the errors ``einsum(_:_:)-(_,[Tensor<Scalar>])`` throws for these shapes.
public func einsumPlan<Scalar: TensorScalar>(
    _ equation: String, _ operands: [TensorLayout], scalar: Scalar.Type
) throws -> LoweringPlan {
    try EinsumLowering(equation, operands, scalar: Scalar.self).plan
}

/// ``einsumPlan(_:_:scalar:)`` for these tensors' layouts.
/// - Throws: ``TensorError`` as `einsum` would for this equation and these shapes.
public func einsumPlan<Scalar: TensorScalar>(_ equation: String, _ operands: [Tensor<Scalar>]) throws -> LoweringPlan {
    try einsumPlan(equation, operands.map(\.layout), scalar: Scalar.self)
}

/// ``einsumPlan(_:_:scalar:)`` with the tensors as arguments.
/// - Throws: ``TensorError`` as `einsum` would for this equation and these shapes.
public func einsumPlan<Scalar: TensorScalar>(_ equation: String, _ operands: Tensor<Scalar>...) throws -> LoweringPlan {
    try einsumPlan(equation, operands)
}
