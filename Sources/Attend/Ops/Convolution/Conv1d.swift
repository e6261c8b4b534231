/// Batched multi-channel 1-D convolution (`torch.nn.functional.conv1d`, groups = 1,
/// dilation = 1): `out[b, o, t] = bias[o] + Σ_{c,k} input[b, c, t·stride + k − padding] · weight[o, c, k]`.
///
/// Shapes: input `[B, C, L]`, weight `[O, C, K]`, bias `[O]` or nil →
/// `[B, O, (L + 2·padding − K)/stride + 1]`. Lowered as ``conv2d(_:weight:bias:stride:padding:)``
/// with height 1 (input `[B, C, 1, L]`, weight `[O, C, 1, K]`, both views): one im2col copy
/// `[B, C·K, Lout]` and one GEMM per batch element.
/// - Throws: ``TensorError`` (op `"conv1d"`) when the shapes are not as above, the channel
///   counts differ, the bias is not `[O]`, or the kernel, stride and padding do not fit.
/// - SeeAlso: `Reference.conv1d(_:weight:bias:stride:padding:)`.
public func conv1d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil, stride: Int = 1, padding: Int = 0
) throws -> Tensor<Scalar> {
    try checkConv1dShapes(input.shape, weight.shape)
    let lowering = try ConvolutionLowering(
        input: input.layout.applying { $0.unsqueezed(2) }, weight: weight.layout.applying { $0.unsqueezed(2) },
        bias: bias?.shape, stride: (1, stride), padding: (0, padding), op: "conv1d", scalar: Scalar.self)
    let out = try lowering.run(input.unsqueezed(2), weight.unsqueezed(2), bias)  // [B, O, 1, Lout]
    return try out.squeezed(2)  // [B, O, Lout]
}

/// The plan of ``conv1d(_:weight:bias:stride:padding:)`` for these layouts.
/// - Throws: ``TensorError`` as ``conv1d(_:weight:bias:stride:padding:)`` would for these shapes.
public func conv1dPlan<Scalar: TensorScalar>(
    input: TensorLayout, weight: TensorLayout, hasBias: Bool = true, stride: Int = 1, padding: Int = 0,
    scalar: Scalar.Type
) throws -> LoweringPlan {
    try checkConv1dShapes(input.shape, weight.shape)
    var plan = try ConvolutionLowering(
        input: input.applying { $0.unsqueezed(2) }, weight: weight.applying { $0.unsqueezed(2) },
        bias: hasBias ? [weight.shape[0]] : nil, stride: (1, stride), padding: (0, padding), op: "conv1d",
        scalar: Scalar.self
    ).plan
    plan.steps.insert(.view("input [B, C, L] → [B, C, 1, L] and weight [O, C, K] → [O, C, 1, K]"), at: 0)
    plan.steps.append(.view("[B, O, 1, Lout] → [B, O, Lout]"))
    plan.outputShape.remove(at: 2)
    return plan
}

private func checkConv1dShapes(_ input: [Int], _ weight: [Int]) throws {
    guard input.count == 3, weight.count == 3 else {
        throw TensorError(
            op: "conv1d", "input \(describe(input)) and weight \(describe(weight)) must be [B, C, L] and [O, C, K]")
    }
}
