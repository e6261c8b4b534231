/// Matrix product with torch.matmul semantics, lowered onto `cblas_sgemm`/`cblas_dgemm`.
///
/// `C[…, M, N] = Σₖ A[…, M, k] · B[…, k, N]`; batch dimensions broadcast; a 1-D `a` is a row
/// vector and a 1-D `b` a column vector (the promoted dimension is dropped from the result).
/// Transposed views are passed to BLAS as transpose flags with their leading dimension, so
/// `matmul(q, k.transposed(-2, -1))` copies nothing (see ``matmulPlan(_:_:)``).
///
///     let scores = try matmul(q, k.transposed(-2, -1))   // [B, H, L, D] · [B, H, D, L] → [B, H, L, L]
///
/// - Throws: ``TensorError`` naming both shapes when the inner dimensions differ or the batch
///   dimensions do not broadcast.
/// - SeeAlso: `Reference.matmul` in AttendReference, the loop this is checked against.
public func matmul<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) throws -> Tensor<Scalar> {
    try scaledMatmul(a, b, alpha: 1, op: "matmul")
}

/// alpha·(a·b) with the scale folded into the GEMM (no extra pass).
func scaledMatmul<Scalar: TensorScalar>(
    _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, alpha: Double, op: String
) throws -> Tensor<Scalar> {
    let lowering = try BatchedMatmulLowering(a.layout, b.layout, scalar: Scalar.self, op: op, alpha: alpha)
    return try lowering.run(a, b)
}

/// The BLAS calls and copies ``matmul(_:_:)`` makes for operands with these layouts, without
/// running them (nothing is allocated).
/// - Throws: ``TensorError`` as ``matmul(_:_:)`` would for these shapes (inner dimensions differ, batch
///   dimensions do not broadcast).
public func matmulPlan<Scalar: TensorScalar>(_ a: TensorLayout, _ b: TensorLayout, scalar: Scalar.Type) throws
    -> LoweringPlan
{
    try BatchedMatmulLowering(a, b, scalar: Scalar.self).plan(op: "matmul")
}

/// ``matmulPlan(_:_:scalar:)`` for these tensors' layouts.
/// - Throws: ``TensorError`` as ``matmul(_:_:)`` would for these shapes.
public func matmulPlan<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) throws -> LoweringPlan {
    try matmulPlan(a.layout, b.layout, scalar: Scalar.self)
}
