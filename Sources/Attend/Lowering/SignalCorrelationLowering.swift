/// `correlate(signal:kernel:stride:)` planned from layouts.
struct SignalCorrelationLowering {
    let gemm: BatchedMatmulLowering
    let plan: LoweringPlan

    static func windows<Scalar>(_ signal: Tensor<Scalar>, size: Int, stride: Int) throws -> Tensor<Scalar> {
        try signal.unfolded(0, size: size, step: stride)  // [L, K]
    }

    init<Scalar: TensorScalar>(signal: TensorLayout, kernel: TensorLayout, stride: Int, scalar: Scalar.Type) throws {
        guard signal.shape.count == 1, kernel.shape.count == 1, (1...signal.shape[0]).contains(kernel.shape[0]),
            stride >= 1
        else {
            throw TensorError(
                op: "conv1d",
                "signal \(describe(signal.shape)) and kernel \(describe(kernel.shape)) with stride \(stride) do not fit "
                    + "(needs a 1-D signal [N], a 1-D kernel [K] with 1 <= K <= N, and stride >= 1)")
        }
        let k = kernel.shape[0]
        let windows = try signal.applying { try Self.windows($0, size: k, stride: stride) }
        gemm = try BatchedMatmulLowering(windows, kernel, scalar: Scalar.self, op: "conv1d")
        var steps: [LoweringPlan.Step] = [
            .view("windows = signal.unfolded(0, size: \(k), step: \(stride)) → \(windows)")
        ]
        steps += gemm.plan(op: "conv1d", names: ("windows", "kernel")).steps
        plan = LoweringPlan(
            op: "conv1d", steps: steps, intermediates: [.init(name: "windows", shape: windows.shape)],
            outputShape: gemm.outputShape)
    }
}
