// Convolution by unfolding: the input's sliding windows become the columns of a matrix
// (im2col), and the convolution is one GEMM of the flattened kernels with that matrix.
// Convolutions are cross-correlations, as in PyTorch: the kernel is not flipped.
//
// Every op here is planned from layouts first (a `…Lowering` value: the views, the copies with
// their bytes, the GEMM), then executed by the same value, so `conv2dPlan` and `conv2d` cannot
// disagree.

/// 2-D convolution (`torch.nn.functional.conv2d`, groups = 1, dilation = 1) as im2col + GEMM:
/// `out[b, o, y, x] = bias[o] + Σ_{c,i,j} input[b, c, y·sh − ph + i, x·sw − pw + j] · weight[o, c, i, j]`.
///
/// Shapes: input `[B, C, H, W]`, weight `[O, C, kh, kw]`, bias `[O]` or nil →
/// `[B, O, oh, ow]`, with oh, ow as in ``im2col(_:kernel:stride:padding:)``.
///
///     let columns = im2col(input, …)              // [B, C·kh·kw, oh·ow]  (one copy)
///     let kernels = weight.reshaped([O, C·kh·kw])  // a view for a contiguous weight
///     out = kernels · columns[b] + bias           // one GEMM per batch element → [B, O, oh·ow]
///
/// - Throws: ``TensorError`` (op `"conv2d"`) when the shapes are not as above, the channel
///   counts differ, the bias is not `[O]`, or the kernel, stride and padding do not fit.
/// - SeeAlso: `Reference.conv2d`, ``conv2dPlan(input:weight:hasBias:stride:padding:scalar:)``.
public func conv2d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)
) throws -> Tensor<Scalar> {
    let lowering = try ConvolutionLowering(
        input: input.layout, weight: weight.layout, bias: bias?.shape, stride: stride, padding: padding, op: "conv2d",
        scalar: Scalar.self)
    return try lowering.run(input, weight, bias)
}

/// The padding copy, im2col copy (with bytes), GEMM call and bias pass ``conv2d(_:weight:bias:stride:padding:)``
/// makes for these layouts.
/// - Throws: ``TensorError`` as ``conv2d(_:weight:bias:stride:padding:)`` would for these shapes.
public func conv2dPlan<Scalar: TensorScalar>(
    input: TensorLayout, weight: TensorLayout, hasBias: Bool = true, stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), scalar: Scalar.Type
) throws -> LoweringPlan {
    try ConvolutionLowering(
        input: input, weight: weight, bias: hasBias ? [weight.shape.first ?? 0] : nil, stride: stride, padding: padding,
        op: "conv2d", scalar: Scalar.self
    ).plan
}
