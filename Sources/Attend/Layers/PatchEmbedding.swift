/// The ViT patch embedding: every P×P patch of an image, flattened in
/// ``patchify(_:patch:)`` order, projected to E features —
/// `out[b, p, e] = Σ_f patches[b, p, f] · weight[e, f] + bias[e]`.
///
/// Equivalent to `nn.Conv2d(C, E, kernel_size=P, stride=P)` with its weight reshaped to
/// `[E, C·P·P]`, followed by `flatten(2).transpose(1, 2)`.
///
/// Shapes: image `[B, C, H, W]`, weight `[E, C·P·P]`, bias `[E]` → `[B, (H/P)·(W/P), E]`.
/// Lowered to one patchify copy and ONE GEMM over all patches of all images
/// (M = B·(H/P)·(W/P), `transB` for weightᵀ), then one bias pass.
public struct PatchEmbedding<Scalar: TensorScalar>: Sendable {
    /// `[E, C·P·P]`.
    public var weight: Tensor<Scalar>
    /// `[E]`, or nil.
    public var bias: Tensor<Scalar>?
    /// The patch side P.
    public let patch: Int

    /// An embedding from given parameters.
    /// - Throws: ``TensorError`` (op `"PatchEmbedding"`) when the weight is not `[E, C·P·P]` for
    ///   a whole number of channels C, or the bias is not `[E]`.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, patch: Int) throws {
        guard patch >= 1, weight.rank == 2, weight.shape[1] % (patch * patch) == 0 else {
            throw TensorError(
                op: "PatchEmbedding",
                "weight \(describe(weight.shape)) must be [E, C·P·P] with P = \(patch) >= 1 (its second dimension a multiple of P·P = \(patch * patch))"
            )
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError(
                op: "PatchEmbedding",
                "bias has shape \(describe(bias.shape)) but weight \(describe(weight.shape)) needs [\(weight.shape[0])]"
            )
        }
        self.weight = weight
        self.bias = bias
        self.patch = patch
    }

    /// PyTorch's default initialisation for the equivalent `nn.Conv2d`: weight and bias uniform
    /// in ±1/√(C·P·P), drawn from `generator`.
    public init(channels: Int, patch: Int, embedding: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        precondition(
            channels >= 1 && patch >= 1 && embedding >= 1,
            "PatchEmbedding: channels, patch and embedding must be at least 1")
        let fanIn = channels * patch * patch
        let bound = Scalar(1 / Double(fanIn).squareRoot())
        self.weight = .uniform([embedding, fanIn], low: -bound, high: bound, using: &generator)
        self.bias = bias ? .uniform([embedding], low: -bound, high: bound, using: &generator) : nil
        self.patch = patch
    }

    /// The embedding width E.
    public var embeddingDimension: Int { weight.shape[0] }
    /// The image channels C the weight expects.
    public var channels: Int { weight.shape[1] / (patch * patch) }

    /// `[B, C, H, W]` → `[B, (H/P)·(W/P), E]`.
    /// - Throws: ``TensorError`` when H or W is not divisible by P or the image's channels are not C.
    public func callAsFunction(_ image: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let (patchify, gemm) = try lowering(image.layout)
        let patches = try patchify.run(image)  // [B, L, C·P·P]
        var out = try gemm.run(patches, weight.transposed(0, 1))  // [B, L, E]
        if let bias { out.addBias(bias, along: 2) }
        return out
    }

    /// The patchify copy, the GEMM and the bias pass for an image with this layout.
    /// - Throws: ``TensorError`` as the layer would for an image of this shape (not `[B, C, H, W]` with C, H
    ///   and W fitting the patches).
    public func plan(for image: TensorLayout) throws -> LoweringPlan {
        let (patchify, gemm) = try lowering(image)
        var steps = patchify.steps
        steps += gemm.plan(op: "PatchEmbedding", names: ("patches", "weightᵀ")).steps
        if bias != nil { steps.append(.pass("add bias [\(embeddingDimension)] along the last dimension, in place")) }
        return LoweringPlan(
            op: "PatchEmbedding", steps: steps, intermediates: [.init(name: "patches", shape: patchify.patches.shape)],
            outputShape: gemm.outputShape)
    }

    private func lowering(_ image: TensorLayout) throws -> (PatchifyLowering, BatchedMatmulLowering) {
        let patchify = try PatchifyLowering(image, patch: patch, op: "PatchEmbedding", scalar: Scalar.self)
        guard image.shape[1] == channels else {
            throw TensorError(
                op: "PatchEmbedding",
                "image \(describe(image.shape)) has \(image.shape[1]) channels but weight \(describe(weight.shape)) expects \(channels) "
                    + "(C·P·P = \(weight.shape[1]) with P = \(patch))")
        }
        let gemm = try BatchedMatmulLowering(
            patchify.patches, weight.layout.permuted([1, 0]), scalar: Scalar.self, op: "PatchEmbedding")
        return (patchify, gemm)
    }
}
