/// The steps the fused attention kernel (``AttentionAlgorithm/fused``, the default when no weights
/// are requested) takes for these layouts on the active ``KernelPath``, without running it:
///
/// - Float: the kernel family's attention micro-kernel on the active path — its work items, key
///   block, register tiles and mask handling, read from the same dispatch table the run uses; no
///   GEMM calls (K and V are read in place, nothing is packed);
/// - Double: the sgemm-tiled schedule — per (work item, key block) one `S = scale·Q_b·K_jᵀ` and
///   one `O_b += P·V_j` GEMM, with the online softmax between.
///
/// - Throws: as ``scaledDotProductAttentionPlan(queries:keys:values:mask:scale:)``.
public func fusedAttentionPlan<Scalar: TensorScalar>(
    queries: TensorLayout, keys: TensorLayout, values: TensorLayout, mask: AttentionMask<Scalar> = .none,
    scale: Scalar? = nil
) throws -> LoweringPlan {
    let op = "scaledDotProductAttention"
    try checkAttentionShapes(queries.shape, keys.shape, values.shape, op: op)
    let (lq, dk) = (queries.shape[queries.shape.count - 2], queries.shape[queries.shape.count - 1])
    let (lk, dv) = (keys.shape[keys.shape.count - 2], values.shape[values.shape.count - 1])
    let batch = try broadcastShapes(
        broadcastShapes(Array(queries.shape.dropLast(2)), Array(keys.shape.dropLast(2)), op: op),
        Array(values.shape.dropLast(2)), op: op)
    try mask.validate(scoresShape: batch + [lq, lk], op: op)
    let batchCount = batch.product
    let alpha = scale.map { Double($0) } ?? 1 / Double(dk).squareRoot()
    var steps: [LoweringPlan.Step] = []
    // The kernel reads rows in place when the last dimension is unit-stride (as fusedAttention).
    for (name, layout) in [("queries", queries), ("keys", keys), ("values", values)] {
        let (rows, cols) = (layout.shape[layout.shape.count - 2], layout.shape[layout.shape.count - 1])
        let (rowStride, colStride) = (
            layout.strides[layout.strides.count - 2], layout.strides[layout.strides.count - 1]
        )
        if !((cols <= 1 || colStride == 1) && (rows <= 1 || rowStride >= Swift.max(cols, 1))) {
            steps.append(
                .copy(
                    OperandCopy(
                        operand: name, shape: layout.shape, bytes: layout.shape.product * MemoryLayout<Scalar>.size,
                        reason: "rows are not unit-stride; the kernel reads rows in place")))
        }
    }
    let maskText: String
    switch mask {
    case .none: maskText = ""
    case .causal: maskText = "causal"
    default: maskText = mask.summary
    }
    var intermediates: [LoweringPlan.Intermediate] = []
    if Scalar.self == Float.self {
        // The table the run will use (FusedAttention.run reads the same one).
        let kernels = KernelPath.active.kernels
        let bq = kernels.attention_query_block
        let bk = kernels.attention_key_block
        let items = batchCount * ((lq + bq - 1) / bq)
        steps.append(.pass(kernels.attentionSummary))
        steps.append(
            .pass(
                "\(items) work items: \(batchCount) batch entr\(batchCount == 1 ? "y" : "ies") × \((lq + bq - 1) / bq) blocks of ≤ \(bq) queries, each against \((lk + bk - 1) / bk) key block\(lk > bk ? "s" : "") of ≤ \(bk)"
            ))
        if lq == 1 {
            steps.append(
                .pass(
                    "Lq = 1: the matrix-vector form — q·k_j along Dk, one exp pass per key block, o += p_j·v_j along Dv"
                ))
        }
        if case .causal = mask {
            steps.append(
                .pass(
                    "causal (top-left): key blocks past a query block's last visible key skipped; the diagonal block masked by index compare in the tile epilogue"
                ))
        } else if !maskText.isEmpty {
            steps.append(.pass("mask \(maskText) applied to each score block, then the block's max taken again"))
        }
        intermediates =
            lq == 1
            ? [.init(name: "per-worker scores of one key block", shape: [bk])]
            : [
                .init(name: "per-worker Q̃ᵀ", shape: [dk, bq]), .init(name: "per-worker Sᵀ/Pᵀ", shape: [bk, bq]),
                .init(name: "per-worker Oᵀ", shape: [dv, bq]),
            ]
    } else {
        let bq = Swift.min(FusedAttentionTiling.queryBlock, lq)
        let bk = Swift.min(FusedAttentionTiling.keyBlock, lk)
        let items = batchCount * ((lq + bq - 1) / bq)
        let keyBlocks = (lk + bk - 1) / bk
        let routine = GEMM.routine(for: Scalar.self)
        let qRow = lq <= 1 ? dk : Swift.max(queries.strides[queries.strides.count - 2], dk)
        let kRow = lk <= 1 ? dk : Swift.max(keys.strides[keys.strides.count - 2], dk)
        let vRow = lk <= 1 ? dv : Swift.max(values.strides[values.strides.count - 2], dv)
        steps.append(
            .pass(
                "sgemm-tiled schedule (Double): \(items) work items (batch entries × \(bq)-query blocks), each against \(keyBlocks) key block\(keyBlocks == 1 ? "" : "s") of ≤ \(bk)\(maskText == "causal" ? ", blocks above the causal diagonal skipped" : "")"
            ))
        steps.append(
            .gemm(
                GEMMCall(
                    routine: routine, m: bq, n: bk, k: dk, transA: false, transB: true, lda: qRow, ldb: kRow, ldc: bk,
                    batchCount: items * keyBlocks, alpha: alpha, beta: 0)))
        if !maskText.isEmpty { steps.append(.pass("mask \(maskText) applied to each score tile")) }
        steps.append(
            .pass("online softmax per tile: running row max and sum, tile exponentiated in place, output rows rescaled")
        )
        steps.append(
            .gemm(
                GEMMCall(
                    routine: routine, m: bq, n: dv, k: bk, transA: false, transB: false, lda: bk, ldb: vRow, ldc: dv,
                    batchCount: items * keyBlocks, alpha: 1, beta: 1)))
        steps.append(.pass("output rows divided by their sums (all keys masked → 0)"))
        intermediates = [.init(name: "per-worker score tile", shape: [bq, bk])]
    }
    return LoweringPlan(
        op: "scaledDotProductAttention (fused)", steps: steps, intermediates: intermediates,
        outputShape: batch + [lq, dv])
}
