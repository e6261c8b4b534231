/// Cuts images into non-overlapping P×P patches, one row per patch — the input of a ViT patch
/// embedding, in exactly the order of `F.unfold(x, P, stride=P).transpose(1, 2)`:
/// `out[b, py·(W/P) + px, c·P·P + i·P + j] = image[b, c, py·P + i, px·P + j]`.
///
/// Shapes: image `[B, C, H, W]` → `[B, (H/P)·(W/P), C·P·P]`.
///
///     image.view([B, C, H/P, P, W/P, P])   // split H and W: a view
///          .permuted(0, 2, 4, 1, 3, 5)     // [B, H/P, W/P, C, P, P]: a view
///          .reshaped([B, H/P·W/P, C·P·P])  // the one copy
///
/// This equals `im2col(image, kernel: (P, P), stride: (P, P)).transposed(1, 2)`, but the one
/// copy lands straight in patch-major order, so ``PatchEmbedding`` projects every patch of
/// every image with a single GEMM.
/// - Throws: ``TensorError`` (op `"patchify"`) when the image is not 4-D, P < 1, or H or W is
///   not divisible by P.
/// - SeeAlso: `Reference.patchify`.
public func patchify<Scalar: TensorScalar>(_ image: Tensor<Scalar>, patch: Int) throws -> Tensor<Scalar> {
    try PatchifyLowering(image.layout, patch: patch, op: "patchify", scalar: Scalar.self).run(image)
}

/// The views and the copy ``patchify(_:patch:)`` makes for this layout.
/// - Throws: ``TensorError`` as ``patchify(_:patch:)`` would for this shape.
public func patchifyPlan<Scalar: TensorScalar>(_ image: TensorLayout, patch: Int, scalar: Scalar.Type) throws
    -> LoweringPlan
{
    let lowering = try PatchifyLowering(image, patch: patch, op: "patchify", scalar: Scalar.self)
    return LoweringPlan(op: "patchify", steps: lowering.steps, intermediates: [], outputShape: lowering.patches.shape)
}
