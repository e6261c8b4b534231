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

/// The BLAS calls and copies ``matmul(_:_:)`` makes for these operands, without running them.
public func matmulPlan<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) throws -> LoweringPlan {
    try BatchedMatmulLowering(a.layout, b.layout, scalar: Scalar.self).plan(op: "matmul")
}

extension BatchedMatmulLowering {
    /// Executes on tensors: copies what the plan says, allocates C, runs the GEMMs.
    /// - Parameter initial: when given, C starts from it (broadcast to `[batch…, M, N]`) and the
    ///   GEMM accumulates with beta = 1 — how `linear` folds its bias into the GEMM.
    func run<Scalar: TensorScalar>(_ lhs: Tensor<Scalar>, _ rhs: Tensor<Scalar>, initial: Tensor<Scalar>? = nil) throws -> Tensor<Scalar> {
        let left = copyA ? lhs.materialized() : lhs
        let right = copyB ? rhs.materialized() : rhs
        var lowering = self
        let result: Tensor<Scalar>
        if let initial {
            result = try initial.expanded(to: fullOutputShape).materialized()
            lowering.call.beta = 1
        } else {
            result = Tensor<Scalar>(shape: fullOutputShape)
        }
        withExtendedLifetime((left, right)) {
            lowering.execute(
                a: UnsafePointer(left.storage.pointer + left.offset),
                b: UnsafePointer(right.storage.pointer + right.offset),
                c: result.storage.pointer)
        }
        return try result.view(outputShape)
    }
}
