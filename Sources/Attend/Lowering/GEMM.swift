import CBLAS

// The one place Attend calls BLAS. Every GEMM-lowered op (matmul, einsum, linear, attention,
// convolution) builds a `MatrixOperand` description and ends here.

/// How a batched matrix operand `[batch…, rows, cols]` is handed to row-major CBLAS.
struct MatrixOperand: Equatable {
    /// Pass as `CblasTrans`: the matrix is stored column-major (rows have stride 1).
    var transposed: Bool
    /// Leading dimension in elements.
    var leadingDimension: Int

    /// The BLAS view of a `rows × cols` matrix with the given strides, or nil when BLAS cannot
    /// read it directly (neither dimension has stride 1, a zero stride, or overlapping rows) and
    /// a copy is needed.
    init?(rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        if cols <= 1 || colStride == 1, rows <= 1 || rowStride >= Swift.max(cols, 1) {
            // Row-major: element (i, j) at i·ld + j.
            transposed = false
            leadingDimension = rows <= 1 ? Swift.max(cols, 1) : rowStride
        } else if rows <= 1 || rowStride == 1, cols <= 1 || colStride >= Swift.max(rows, 1) {
            // Column-major: element (i, j) at j·ld + i.
            transposed = true
            leadingDimension = cols <= 1 ? Swift.max(rows, 1) : colStride
        } else {
            return nil
        }
    }
}

enum GEMM {
    /// The CBLAS routine name for a scalar type.
    static func routine<Scalar: TensorScalar>(for _: Scalar.Type) -> String { "cblas_\(Scalar.blasPrefix)gemm" }

    /// Issues one row-major GEMM: C = alpha·op(A)·op(B) + beta·C.
    @inline(__always)
    static func call<Scalar: TensorScalar>(
        _ g: GEMMCall, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>
    ) {
        let ta = g.transA ? CblasTrans : CblasNoTrans
        let tb = g.transB ? CblasTrans : CblasNoTrans
        let (m, n, k) = (Int32(g.m), Int32(g.n), Int32(g.k))
        let (lda, ldb, ldc) = (Int32(g.lda), Int32(g.ldb), Int32(g.ldc))
        if Scalar.self == Float.self {
            cblas_sgemm(
                CblasRowMajor, ta, tb, m, n, k, Float(g.alpha),
                UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb, Float(g.beta),
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
        } else if Scalar.self == Double.self {
            cblas_dgemm(
                CblasRowMajor, ta, tb, m, n, k, g.alpha,
                UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda,
                UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), ldb, g.beta,
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
        } else {
            preconditionFailure("GEMM: no BLAS routine for \(Scalar.self)")
        }
    }

    /// Runs one GEMM (`call.batchCount` 1) as row slabs of A and C — rows r0..<r1 of A (row i starts
    /// at i·lda, or at i when A is transposed) and of C — spread over Attend's workers, each issuing
    /// a single-threaded GEMM (see ``Parallelism``). One slab per core (not per `threadCount`, so
    /// results are bitwise independent of the setting): smaller slabs shrink M, and OpenBLAS loses
    /// more to packing than dynamic balancing wins back.
    ///
    /// With `bias` (n values), each slab first writes the bias into every row of its part of C and
    /// runs with beta = 1, so C = op(A)·op(B) + bias with the bias one more term of each sum (and
    /// no separate pass over C, neither OpenBLAS's zeroing for beta = 0 nor a bias addition).
    static func rowSlabs<Scalar: TensorScalar>(
        _ call: GEMMCall, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>,
        bias: UnsafePointer<Scalar>? = nil
    ) {
        guard call.m > 0, call.n > 0 else { return }
        var call = call
        if bias != nil { call.beta = 1 }
        let pointers = UncheckedSendable((a, b, c, bias))
        let threads = Parallelism.gemmSlabCount
        let slabs = call.flops < Parallelism.minimumParallelFlops || call.m < 2 * threads ? 1 : threads
        let rowsPerSlab = (call.m + slabs - 1) / slabs
        Parallelism.forEach(
            items: slabs, flops: call.flops, setUp: { _ in () },
            { _, slab in
                let (a, b, c, bias) = pointers.value
                let r0 = slab * rowsPerSlab
                let r1 = Swift.min(call.m, r0 + rowsPerSlab)
                guard r0 < r1 else { return }
                if let bias {
                    for row in r0..<r1 { (c + row * call.ldc).update(from: bias, count: call.n) }
                }
                guard call.k > 0 else { return }
                var part = call
                part.m = r1 - r0
                GEMM.call(part, a: a + (call.transA ? r0 : r0 * call.lda), b: b, c: c + r0 * call.ldc)
            }, tearDown: { _ in })
    }
}
