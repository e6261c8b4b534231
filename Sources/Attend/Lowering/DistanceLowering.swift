/// The distance computation decided from shapes: validation, the method, and for `.gemm` the
/// batched `−2·a·bᵀ` GEMM (alpha = −2 folded into the call).
struct DistanceLowering {
    let method: DistanceMethod  // .broadcasting or .gemm, never .automatic
    let centered: Bool
    let batchShape: [Int]
    let n: Int, m: Int, d: Int
    /// For `.gemm`: `−2 · a · bᵀ`, with bᵀ a transposed view of b (`transB`).
    let gemm: BatchedMatmulLowering?
    let plan: LoweringPlan

    init<Scalar: TensorScalar>(
        _ a: TensorLayout, _ b: TensorLayout, method: DistanceMethod, centered: Bool, scalar: Scalar.Type
    ) throws {
        let op = "squaredDistances"
        guard a.shape.count >= 2, b.shape.count >= 2 else {
            throw TensorError(
                op: op,
                "a \(describe(a.shape)) and b \(describe(b.shape)) must be point sets [..., N, D] and [..., M, D] (at least 2 dimensions each)"
            )
        }
        let (n, d) = (a.shape[a.shape.count - 2], a.shape[a.shape.count - 1])
        let (m, e) = (b.shape[b.shape.count - 2], b.shape[b.shape.count - 1])
        guard d == e else {
            throw TensorError(
                op: op,
                "a \(describe(a.shape)) has points of dimension \(d) but b \(describe(b.shape)) has \(e) (a [..., N, D] and b [..., M, D] need the same D)"
            )
        }
        let batch = try broadcastBatchDimensions(
            a.shape, b.shape, op: op, operands: "a \(describe(a.shape)) and b \(describe(b.shape))")
        let differenceCount = batch.product * n * m * d
        let resolved: DistanceMethod =
            method == .automatic
            ? (differenceCount <= DistanceMethod.automaticBroadcastLimit ? .broadcasting : .gemm) : method
        let bytes = MemoryLayout<Scalar>.stride
        let output = batch + [n, m]
        var steps: [LoweringPlan.Step] = []
        var intermediates: [LoweringPlan.Intermediate] = []
        var gemm: BatchedMatmulLowering? = nil
        let centre = resolved == .gemm && centered
        if resolved == .broadcasting {
            steps.append(.view("a[..., :, None, :] and b[..., None, :, :] (stride 0 on the new dimensions)"))
            steps.append(
                .pass(
                    "diff = a − b broadcast → \(describe(output + [d])) (\(differenceCount) elements, \(differenceCount * bytes) bytes)"
                ))
            steps.append(.pass("square and sum diff over D → \(describe(output))"))
            intermediates.append(.init(name: "diff", shape: output + [d]))
        } else {
            var left = a
            var right = b
            if centre {
                left = TensorLayout(contiguous: batch + [n, d])
                right = TensorLayout(contiguous: batch + [m, d])
                steps.append(
                    .pass("c = mean of the \(n) + \(m) points per batch element → \(describe(batch + [1, d]))"))
                steps.append(
                    .pass(
                        "a − c → \(describe(left.shape)), b − c → \(describe(right.shape)) (distances are translation invariant)"
                    ))
                intermediates += [
                    .init(name: "c", shape: batch + [1, d]), .init(name: "a − c", shape: left.shape),
                    .init(name: "b − c", shape: right.shape),
                ]
            }
            let transposedB = right.permuted(
                Array(0..<right.shape.count - 2) + [right.shape.count - 1, right.shape.count - 2])
            let lowering = try BatchedMatmulLowering(left, transposedB, scalar: Scalar.self, op: op, alpha: -2)
            steps.append(.pass("‖a‖² = Σ_d a² → \(describe(Array(left.shape.dropLast())))"))
            steps.append(.pass("‖b‖² = Σ_d b² → \(describe(Array(right.shape.dropLast())))"))
            steps += lowering.plan(op: op, names: ("a", "bᵀ")).steps
            steps.append(
                .pass(
                    "add ‖a‖²[..., :, None] + ‖b‖²[..., None, :] to −2·a·bᵀ in place, clamp at 0 → \(describe(output))")
            )
            intermediates += [
                .init(name: "‖a‖²", shape: Array(left.shape.dropLast())),
                .init(name: "‖b‖²", shape: Array(right.shape.dropLast())),
                .init(name: "−2·a·bᵀ", shape: output),
            ]
            gemm = lowering
        }
        self.method = resolved
        self.centered = centre
        self.batchShape = batch
        (self.n, self.m, self.d) = (n, m, d)
        self.gemm = gemm
        self.plan = LoweringPlan(
            op: "squaredDistances (\(resolved)\(centre ? ", centered" : ""))", steps: steps,
            intermediates: intermediates,
            outputShape: output)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard let gemm else {
            let diff = try a.unsqueezed(-2) - b.unsqueezed(-3)  // [..., N, M, D]
            return try diff.squared().sum(dim: -1)  // [..., N, M]
        }
        var (left, right) = (a, b)
        if centered {
            let total = try a.sum(dim: -2, keepDim: true) + b.sum(dim: -2, keepDim: true)  // [..., 1, D]
            let centre = total / Scalar(n + m)  // [..., 1, D]
            left = try a - centre  // [..., N, D]
            right = try b - centre  // [..., M, D]
        }
        let normsA = try left.squared().sum(dim: -1)  // [..., N]
        let normsB = try right.squared().sum(dim: -1)  // [..., M]
        var result = try gemm.run(left, right.transposed(-2, -1))  // [..., N, M] = −2·a·bᵀ
        result.addNormsAndClamp(normsA.unsqueezed(-1), normsB.unsqueezed(-2))  // + ‖a‖² + ‖b‖², ≥ 0
        return result
    }
}

extension Tensor {
    /// self = max(0, self + rows + columns) in place, with `rows [..., N, 1]` and `columns
    /// [..., 1, M]` broadcast to this `[..., N, M]` — the last pass of the GEMM distance form.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func addNormsAndClamp(_ rows: Tensor, _ columns: Tensor) {
        makeUniqueAndWritable()
        let out = storage.pointer
        let r = rows.storage.pointer
        let c = columns.storage.pointer
        let loop = StridedLoop(
            shape: shape, strides: [strides, rows.broadcastStrides(to: shape), columns.broadcastStrides(to: shape)])
        loop.forEachRow(baseOffsets: [offset, rows.offset, columns.offset]) { starts, count, inner in
            var (o, i, j) = (starts[0], starts[1], starts[2])
            for _ in 0..<count {
                out[o] = Swift.max(0, out[o] + r[i] + c[j])
                o += inner[0]
                i += inner[1]
                j += inner[2]
            }
        }
    }
}
