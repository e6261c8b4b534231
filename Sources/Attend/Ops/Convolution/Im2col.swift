/// Sliding patches as matrix columns — exactly `torch.nn.functional.unfold` (im2col), with zero
/// padding:
/// `out[b, c·kh·kw + i·kw + j, y·ow + x] = input[b, c, y·sh − ph + i, x·sw − pw + j]` (0 outside).
///
/// Shapes: input `[B, C, H, W]` → `[B, C·kh·kw, oh·ow]` with `oh = (H + 2·ph − kh)/sh + 1`,
/// `ow = (W + 2·pw − kw)/sw + 1`.
///
///     let windows = x.unfolded(2, size: kh, step: sh)   // [B, C, oh, W, kh]      (view)
///                    .unfolded(3, size: kw, step: sw)   // [B, C, oh, ow, kh, kw] (view)
///                    .permuted(0, 1, 4, 5, 2, 3)        // [B, C, kh, kw, oh, ow] (view)
///     let columns = windows.reshaped([B, C·kh·kw, oh·ow])   // the one copy
///
/// With padding, the input is first copied into a zero-padded `[B, C, H + 2·ph, W + 2·pw]`.
/// The reshape copies only when it must (a 1×1 kernel with stride 1 is a pure view).
/// - Throws: ``TensorError`` (op `"im2col"`) when the input is not 4-D, or a kernel size is
///   below 1 or above the padded input, a stride below 1, or a padding negative.
/// - SeeAlso: `Reference.im2col`, ``im2colPlan(_:kernel:stride:padding:scalar:)``.
public func im2col<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)
) throws -> Tensor<Scalar> {
    try Im2ColLowering(
        input.layout, kernel: kernel, stride: stride, padding: padding, op: "im2col", scalar: Scalar.self
    )
    .run(input)
}

/// The padding copy, views and im2col copy ``im2col(_:kernel:stride:padding:)`` makes.
/// - Throws: ``TensorError`` as ``im2col(_:kernel:stride:padding:)`` would for this shape.
public func im2colPlan<Scalar: TensorScalar>(
    _ input: TensorLayout, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    scalar: Scalar.Type
) throws -> LoweringPlan {
    let lowering = try Im2ColLowering(
        input, kernel: kernel, stride: stride, padding: padding, op: "im2col", scalar: Scalar.self)
    return LoweringPlan(
        op: "im2col", steps: lowering.steps, intermediates: lowering.intermediates, outputShape: lowering.columns.shape)
}
