/// `patchify` planned from a layout.
struct PatchifyLowering {
    let patch: Int
    /// `[B, H/P, W/P, C, P, P]` as a view of the image.
    let blocks: [Int]
    /// `[B, (H/P)·(W/P), C·P·P]`: a view of the blocks, or contiguous when `copy`.
    let patches: TensorLayout
    let copy: Bool
    let steps: [LoweringPlan.Step]

    static func blocks<Scalar>(_ image: Tensor<Scalar>, patch: Int) throws -> Tensor<Scalar> {
        let (b, c, h, w) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
        return try image.view([b, c, h / patch, patch, w / patch, patch])  // [B, C, H/P, P, W/P, P]
            .permuted(0, 2, 4, 1, 3, 5)  // [B, H/P, W/P, C, P, P]
    }

    init<Scalar: TensorScalar>(_ image: TensorLayout, patch: Int, op: String, scalar: Scalar.Type) throws {
        guard image.shape.count == 4 else {
            throw TensorError(op: op, "image \(describe(image.shape)) must be [B, C, H, W]")
        }
        let (b, c, h, w) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
        guard patch >= 1, h % patch == 0, w % patch == 0 else {
            throw TensorError(
                op: op,
                "image \(describe(image.shape)) cannot be cut into \(patch)×\(patch) patches: "
                    + "H = \(h) and W = \(w) must both be divisible by P = \(patch)")
        }
        let blocks = try image.applying { try Self.blocks($0, patch: patch) }
        let shape = [b, (h / patch) * (w / patch), c * patch * patch]
        var steps: [LoweringPlan.Step] = [
            .view("blocks = image.view([B, C, H/P, P, W/P, P]).permuted(0, 2, 4, 1, 3, 5) → \(blocks)")
        ]
        if let view = blocks.viewed(as: shape) {
            patches = view
            copy = false
            steps.append(.view("patches = blocks viewed as \(describe(shape)) (no copy)"))
        } else {
            patches = TensorLayout(contiguous: shape)
            copy = true
            steps.append(
                .copy(
                    OperandCopy(
                        operand: "patches", shape: shape, bytes: shape.product * MemoryLayout<Scalar>.stride,
                        reason: "the blocks [B, H/P, W/P, C, P, P] cannot be viewed as [B, patches, C·P·P]")))
        }
        self.patch = patch
        self.blocks = blocks.shape
        self.steps = steps
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run<Scalar: TensorScalar>(_ image: Tensor<Scalar>) throws -> Tensor<Scalar> {
        try Self.blocks(image, patch: patch).reshaped(patches.shape)  // [B, (H/P)·(W/P), C·P·P]
    }
}
