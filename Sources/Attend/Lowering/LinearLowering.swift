/// `linear(x, weight, bias)` planned from layouts: `x [..., in] · weight[out, in]ᵀ` as one GEMM
/// over the flattened batch (`transB` for Wᵀ), the bias folded in by starting C from it
/// (beta = 1).
struct LinearLowering {
    let gemm: BatchedMatmulLowering
    /// The bias's width when one is folded in.
    let biasWidth: Int?

    /// - Throws: ``TensorError`` (op `"linear"`) when the weight is not 2-D, the input's width is
    ///   not the weight's in-features, or the bias is not `[out]`.
    init<Scalar: TensorScalar>(input: TensorLayout, weight: TensorLayout, bias: [Int]?, scalar: Scalar.Type) throws {
        guard weight.shape.count == 2 else {
            throw TensorError(op: "linear", "weight must be [out, in], got \(describe(weight.shape))")
        }
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        guard !input.shape.isEmpty, input.shape.last == inFeatures else {
            throw TensorError(op: "linear", linearMismatchMessage(input: input.shape, weight: weight.shape))
        }
        if let bias, bias != [outFeatures] {
            throw TensorError(
                op: "linear",
                "bias has shape \(describe(bias)) but weight \(describe(weight.shape)) needs [\(outFeatures)]")
        }
        let weightT = weight.applying { $0.transposed(0, 1) }  // [in, out], a view
        gemm = try BatchedMatmulLowering(input, weightT, scalar: Scalar.self, op: "linear")
        biasWidth = bias == nil ? nil : outFeatures
    }

    /// What `linearPlan` reports; built on demand, so running a layer formats no plan text.
    var plan: LoweringPlan {
        var steps = gemm.plan(op: "linear", names: ("x", "weightᵀ")).steps
        if let biasWidth {
            steps.insert(
                .pass(
                    "C starts from the bias [\(biasWidth)] broadcast to \(describe(gemm.outputShape)); the GEMM adds with beta = 1"
                ), at: 0)
        }
        return LoweringPlan(op: "linear", steps: steps, intermediates: [], outputShape: gemm.outputShape)
    }
}
