/// How `C[batch…, M, N] = A[batch…, M, K] · B[batch…, K, N]` becomes BLAS calls.
///
/// - Each operand's last two dimensions are passed to BLAS as they are: row-major as
///   `CblasNoTrans`, column-major (a transposed view such as `k.transposed(-2, -1)`) as
///   `CblasTrans` with its leading dimension. Only a matrix with no unit stride (or with zero
///   or overlapping row strides) is copied.
/// - Batch dimensions broadcast (stride 0 where an operand is shared).
/// - When B is the same matrix for every batch element and A's batch and row dimensions
///   merge into one strided run (e.g. `x[B, L, in] · Wᵀ`), the whole batch is one GEMM with
///   M = batch·M — the flattened-batch form `linear` relies on.
/// - Otherwise one GEMM per batch element, over the operands' batch offsets.
struct BatchedMatmulLowering {
    let a: TensorLayout
    let b: TensorLayout
    /// Whether each operand must be copied to row-major before the GEMM.
    let copyA: Bool, copyB: Bool
    let batchShape: [Int]
    /// Strides over `batchShape` into each operand (after any copy) and into C.
    let aBatchStrides: [Int], bBatchStrides: [Int], cBatchStrides: [Int]
    /// The GEMM as issued; `beta` becomes 1 when C starts from a given tensor (a folded bias).
    var call: GEMMCall
    /// `[batch…, M, N]` before squeezing promoted vector dimensions.
    let fullOutputShape: [Int]
    /// torch.matmul's output shape (vector operands drop their promoted dimension).
    let outputShape: [Int]
    let scalarBytes: Int

    /// Plans the product of two operands with torch.matmul semantics: a 1-D left operand is a
    /// row vector, a 1-D right operand a column vector, and the promoted dimension is removed
    /// from the result.
    /// - Throws: ``TensorError`` when an operand is 0-d, the inner dimensions differ, or the
    ///   batch dimensions do not broadcast.
    init<Scalar: TensorScalar>(
        _ lhs: TensorLayout, _ rhs: TensorLayout, scalar: Scalar.Type, op: String = "matmul",
        alpha: Double = 1
    ) throws {
        guard !lhs.shape.isEmpty, !rhs.shape.isEmpty else {
            throw TensorError(
                op: op,
                "both operands need at least one dimension, got \(describe(lhs.shape)) and \(describe(rhs.shape)) (use * for scalars)"
            )
        }
        var a = lhs
        var b = rhs
        var output: [Int] = []
        if a.shape.count == 1 { a = TensorLayout(shape: [1] + a.shape, strides: [0] + a.strides) }
        if b.shape.count == 1 { b = TensorLayout(shape: b.shape + [1], strides: b.strides + [0]) }
        let (m, k) = (a.shape[a.shape.count - 2], a.shape[a.shape.count - 1])
        let (k2, n) = (b.shape[b.shape.count - 2], b.shape[b.shape.count - 1])
        guard k == k2 else {
            throw TensorError(
                op: op,
                "cannot multiply \(describe(lhs.shape)) by \(describe(rhs.shape)): inner dimensions \(k) and \(k2) differ "
                    + "(A[…, M, K] · B[…, K, N] needs A's last dimension to equal B's second-to-last)")
        }
        let batch = try broadcastBatchDimensions(
            a.shape, b.shape, op: op, operands: "cannot multiply \(describe(lhs.shape)) by \(describe(rhs.shape))")
        // Views of stride 0 can be huge without memory; their product must still be countable.
        _ = try checkedElementCount(batch + [m, n], op: op)
        if lhs.shape.count > 1 { output.append(m) }
        if rhs.shape.count > 1 { output.append(n) }

        func matrix(_ layout: TensorLayout) -> MatrixOperand? {
            let r = layout.shape.count
            return MatrixOperand(
                rows: layout.shape[r - 2], cols: layout.shape[r - 1],
                rowStride: layout.strides[r - 2], colStride: layout.strides[r - 1])
        }
        let copyA = matrix(a) == nil
        let copyB = matrix(b) == nil
        if copyA { a = TensorLayout(contiguous: a.shape) }
        if copyB { b = TensorLayout(contiguous: b.shape) }
        let opA = matrix(a)!
        let opB = matrix(b)!  // row-major layouts always map to BLAS

        func batchStrides(_ layout: TensorLayout) -> [Int] {
            let own = Array(layout.shape.dropLast(2))
            let ownStrides = Array(layout.strides.dropLast(2))
            let lead = batch.count - own.count
            return batch.indices.map { axis in
                axis < lead || own[axis - lead] == 1 ? 0 : ownStrides[axis - lead]
            }
        }
        var aBatch = batchStrides(a)
        var bBatch = batchStrides(b)
        var cBatch = contiguousStrides(for: batch + [m, n]).dropLast(2).map { $0 }
        var call = GEMMCall(
            routine: GEMM.routine(for: Scalar.self), m: m, n: n, k: k,
            transA: opA.transposed, transB: opB.transposed,
            lda: opA.leadingDimension, ldb: opB.leadingDimension, ldc: Swift.max(n, 1),
            batchCount: batch.product, alpha: alpha, beta: 0)

        // Flattened batch: B shared by every batch element and A's rows one strided run.
        if batch.product > 1, bBatch.allSatisfy({ $0 == 0 }), !opA.transposed, m > 0 {
            // A size-1 row dimension has no meaningful stride: use the innermost batch stride.
            let innermostBatch = batch.indices.last(where: { batch[$0] != 1 }).map { aBatch[$0] }
            let rowStride = m == 1 ? (innermostBatch ?? opA.leadingDimension) : a.strides[a.shape.count - 2]
            var expected = rowStride * m
            var mergeable = rowStride >= Swift.max(k, 1)
            for axis in batch.indices.reversed() where batch[axis] != 1 && mergeable {
                if aBatch[axis] != expected { mergeable = false }
                expected *= batch[axis]
            }
            if mergeable {
                call.m = m * batch.product
                call.lda = rowStride
                call.batchCount = 1
                aBatch = batch.map { _ in 0 }
                bBatch = aBatch
                cBatch = aBatch
            }
        }
        self.a = a
        self.b = b
        self.copyA = copyA
        self.copyB = copyB
        self.batchShape = batch
        self.aBatchStrides = aBatch
        self.bBatchStrides = bBatch
        self.cBatchStrides = cBatch
        self.call = call
        self.fullOutputShape = batch + [m, n]
        self.outputShape = batch + output
        self.scalarBytes = MemoryLayout<Scalar>.stride
    }

    /// The plan as a person reads it.
    func plan(op: String, names: (String, String) = ("A", "B")) -> LoweringPlan {
        var steps: [LoweringPlan.Step] = []
        if copyA {
            steps.append(
                .copy(
                    OperandCopy(
                        operand: names.0, shape: a.shape, bytes: a.shape.product * scalarBytes,
                        reason: "its last two dimensions have no unit stride (or overlap), which BLAS cannot read")))
        }
        if copyB {
            steps.append(
                .copy(
                    OperandCopy(
                        operand: names.1, shape: b.shape, bytes: b.shape.product * scalarBytes,
                        reason: "its last two dimensions have no unit stride (or overlap), which BLAS cannot read")))
        }
        steps.append(.gemm(call))
        return LoweringPlan(op: op, steps: steps, intermediates: [], outputShape: outputShape)
    }

    /// Runs the plan: `a` and `b` are the operands' buffers at their element offsets (already
    /// copied to row-major where the plan says so); `c` is a zeroed contiguous `[batch…, M, N]`.
    /// Batch entries — or, for a single GEMM, slabs of rows — are spread over Attend's workers,
    /// each issuing single-threaded GEMMs (see ``Parallelism``).
    func execute<Scalar: TensorScalar>(
        a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>
    ) {
        guard call.m > 0, call.n > 0, call.k > 0 else { return }  // C stays as it is (zero or the initial C)
        if call.batchCount == 1 {
            GEMM.rowSlabs(call, a: a, b: b, c: c)
            return
        }
        let pointers = UncheckedSendable((a, b, c))
        var offsets: [(Int, Int, Int)] = []
        offsets.reserveCapacity(call.batchCount)
        StridedLoop(shape: batchShape, strides: [aBatchStrides, bBatchStrides, cBatchStrides])
            .forEachRow(baseOffsets: [0, 0, 0]) { starts, count, inner in
                for i in 0..<count {
                    offsets.append((starts[0] + i * inner[0], starts[1] + i * inner[1], starts[2] + i * inner[2]))
                }
            }
        let batch = offsets
        Parallelism.forEach(
            items: batch.count, flops: call.flops, setUp: { _ in () },
            { _, item in
                let (a, b, c) = pointers.value
                let (oa, ob, oc) = batch[item]
                GEMM.call(call, a: a + oa, b: b + ob, c: c + oc)
            }, tearDown: { _ in })
    }
}

/// The broadcast of two operands' batch dimensions (all but the last two), or an error that
/// starts with `operands` and names both batch shapes.
func broadcastBatchDimensions(_ a: [Int], _ b: [Int], op: String, operands: String) throws -> [Int] {
    let batchA = Array(a.dropLast(2))
    let batchB = Array(b.dropLast(2))
    do {
        return try broadcastShapes(batchA, batchB, op: op)
    } catch {
        throw TensorError(
            op: op, "\(operands): batch dimensions \(describe(batchA)) and \(describe(batchB)) do not broadcast")
    }
}

// MARK: - Execution

extension BatchedMatmulLowering {
    /// Executes on tensors: copies what the plan says, allocates C, runs the GEMMs.
    /// - Parameter initial: when given, C starts from it (broadcast to `[batch…, M, N]`) and the
    ///   GEMM accumulates with beta = 1 — how `linear` folds its bias into the GEMM.
    func run<Scalar: TensorScalar>(_ lhs: Tensor<Scalar>, _ rhs: Tensor<Scalar>, initial: Tensor<Scalar>? = nil) throws
        -> Tensor<Scalar>
    {
        let left = copyA ? lhs.materialized() : lhs
        let right = copyB ? rhs.materialized() : rhs
        var lowering = self
        let result: Tensor<Scalar>
        if let initial {
            result = try initial.expanded(to: fullOutputShape).materialized()
            lowering.call.beta = 1
        } else if call.m > 0, call.n > 0, call.k > 0 {
            result = Tensor<Scalar>(uninitializedShape: fullOutputShape)  // beta = 0: BLAS writes every element
        } else {
            result = Tensor<Scalar>(shape: fullOutputShape)  // an empty product is zeros
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
