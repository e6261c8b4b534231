// Convolution by unfolding: the input's sliding windows become the columns of a matrix
// (im2col), and the convolution is one GEMM of the flattened kernels with that matrix.
// Convolutions are cross-correlations, as in PyTorch: the kernel is not flipped.
//
// Every op here is planned from layouts first (a `…Lowering` value: the views, the copies with
// their bytes, the GEMM), then executed by the same value, so `conv2dPlan` and `conv2d` cannot
// disagree.

// MARK: - 1-D signal

/// 1-D cross-correlation of a signal with a kernel, as windows · kernel:
/// `out[i] = Σ_k signal[i·stride + k] · kernel[k]`.
///
/// Shapes: signal `[N]`, kernel `[K]` → `[(N − K)/stride + 1]`.
///
///     let windows = signal.unfolded(0, size: K, step: stride)   // [L, K], strides (stride·s, s): a view
///     out = windows · kernel                                     // one GEMM
///
/// Overlapping windows (stride < K) cannot be handed to BLAS as they are, so they are copied
/// once (the im2col copy, L·K elements); windows with stride ≥ K are passed without a copy.
/// Seed: signal 10, 20, …, 100 with kernel [0.5, 1, 0.5] → [40, 60, …, 180].
/// - Throws: ``TensorError`` (op `"conv1d"`) unless signal and kernel are 1-D with
///   1 ≤ K ≤ N and stride ≥ 1.
/// - SeeAlso: `Reference.conv1d(signal:kernel:stride:)`, ``conv1dPlan(signal:kernel:stride:scalar:)``.
public func conv1d<Scalar: TensorScalar>(signal: Tensor<Scalar>, kernel: Tensor<Scalar>, stride: Int = 1) throws -> Tensor<Scalar> {
    let lowering = try SignalConvolutionLowering(signal: signal.layout, kernel: kernel.layout, stride: stride, scalar: Scalar.self)
    let windows = try SignalConvolutionLowering.windows(signal, size: kernel.shape[0], stride: stride)   // [L, K]
    return try lowering.gemm.run(windows, kernel)                                                          // [L]
}

/// The views, copy and GEMM ``conv1d(signal:kernel:stride:)`` makes for these layouts.
public func conv1dPlan<Scalar: TensorScalar>(
    signal: TensorLayout, kernel: TensorLayout, stride: Int = 1, scalar: Scalar.Type
) throws -> LoweringPlan {
    try SignalConvolutionLowering(signal: signal, kernel: kernel, stride: stride, scalar: Scalar.self).plan
}

/// `conv1d(signal:kernel:stride:)` planned from layouts.
struct SignalConvolutionLowering {
    let gemm: BatchedMatmulLowering
    let plan: LoweringPlan

    static func windows<Scalar>(_ signal: Tensor<Scalar>, size: Int, stride: Int) throws -> Tensor<Scalar> {
        try signal.unfolded(0, size: size, step: stride)   // [L, K]
    }

    init<Scalar: TensorScalar>(signal: TensorLayout, kernel: TensorLayout, stride: Int, scalar: Scalar.Type) throws {
        guard signal.shape.count == 1, kernel.shape.count == 1, (1 ... signal.shape[0]).contains(kernel.shape[0]), stride >= 1 else {
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

// MARK: - im2col

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
    try Im2ColLowering(input.layout, kernel: kernel, stride: stride, padding: padding, op: "im2col", scalar: Scalar.self)
        .run(input)
}

/// The padding copy, views and im2col copy ``im2col(_:kernel:stride:padding:)`` makes.
public func im2colPlan<Scalar: TensorScalar>(
    _ input: TensorLayout, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), scalar: Scalar.Type
) throws -> LoweringPlan {
    let lowering = try Im2ColLowering(input, kernel: kernel, stride: stride, padding: padding, op: "im2col", scalar: Scalar.self)
    return LoweringPlan(op: "im2col", steps: lowering.steps, intermediates: lowering.intermediates, outputShape: lowering.columns.shape)
}

/// `im2col` planned from a layout.
struct Im2ColLowering {
    let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    /// `[B, C, H + 2·ph, W + 2·pw]`, or nil without padding.
    let paddedShape: [Int]?
    /// `[B, C·kh·kw, oh·ow]`: a view of the windows, or contiguous when `copy`.
    let columns: TensorLayout
    let copy: Bool
    let outputSize: (Int, Int)
    let steps: [LoweringPlan.Step]
    let intermediates: [LoweringPlan.Intermediate]

    /// The windows of a (padded) input, as a view: `[B, C, kh, kw, oh, ow]`.
    static func windows<Scalar>(_ x: Tensor<Scalar>, kernel: (Int, Int), stride: (Int, Int)) throws -> Tensor<Scalar> {
        try x.unfolded(2, size: kernel.0, step: stride.0)   // [B, C, oh, W, kh]
            .unfolded(3, size: kernel.1, step: stride.1)    // [B, C, oh, ow, kh, kw]
            .permuted(0, 1, 4, 5, 2, 3)                     // [B, C, kh, kw, oh, ow]
    }

    init<Scalar: TensorScalar>(
        _ input: TensorLayout, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), op: String, scalar: Scalar.Type
    ) throws {
        guard input.shape.count == 4 else {
            throw TensorError(op: op, "input \(describe(input.shape)) must be [B, C, H, W]")
        }
        let (b, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ph, pw) = padding
        guard kernel.0 >= 1, kernel.1 >= 1, stride.0 >= 1, stride.1 >= 1, ph >= 0, pw >= 0,
              kernel.0 <= h + 2 * ph, kernel.1 <= w + 2 * pw
        else {
            throw TensorError(
                op: op,
                "kernel \(kernel), stride \(stride) and padding \(padding) do not fit input \(describe(input.shape)): each kernel size "
                    + "must be at least 1 and at most the padded size (H + 2·ph = \(h + 2 * ph), W + 2·pw = \(w + 2 * pw)), "
                    + "each stride at least 1, each padding at least 0")
        }
        let bytes = MemoryLayout<Scalar>.stride
        var steps: [LoweringPlan.Step] = []
        var intermediates: [LoweringPlan.Intermediate] = []
        var source = input
        if ph > 0 || pw > 0 {
            let padded = [b, c, h + 2 * ph, w + 2 * pw]
            steps.append(.copy(OperandCopy(
                operand: "input", shape: padded, bytes: padded.product * bytes,
                reason: "zero padding \(padding) around H and W")))
            intermediates.append(.init(name: "padded input", shape: padded))
            source = TensorLayout(contiguous: padded)
            paddedShape = padded
        } else {
            paddedShape = nil
        }
        let windows = try source.applying { try Self.windows($0, kernel: kernel, stride: stride) }
        let (oh, ow) = (windows.shape[4], windows.shape[5])
        let shape = [b, c * kernel.0 * kernel.1, oh * ow]
        steps.append(.view(
            "windows = input.unfolded(2, size: \(kernel.0), step: \(stride.0)).unfolded(3, size: \(kernel.1), step: \(stride.1))"
                + ".permuted(0, 1, 4, 5, 2, 3) → \(windows)"))
        if let view = windows.viewed(as: shape) {
            steps.append(.view("columns = windows viewed as \(describe(shape)) (no copy)"))
            columns = view
            copy = false
        } else {
            steps.append(.copy(OperandCopy(
                operand: "im2col columns", shape: shape, bytes: shape.product * bytes,
                reason: "the windows [B, C, kh, kw, oh, ow] cannot be viewed as [B, C·kh·kw, oh·ow] (they overlap or have gaps)")))
            columns = TensorLayout(contiguous: shape)
            copy = true
        }
        intermediates.append(.init(name: "columns", shape: shape))
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputSize = (oh, ow)
        self.steps = steps
        self.intermediates = intermediates
    }

    /// `[B, C·kh·kw, oh·ow]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run<Scalar: TensorScalar>(_ input: Tensor<Scalar>) throws -> Tensor<Scalar> {
        var source = input
        if let paddedShape {
            source = Tensor(shape: paddedShape)                                  // zeros [B, C, H + 2·ph, W + 2·pw]
            var interior = try source
                .narrowed(2, start: padding.0, length: input.shape[2])
                .narrowed(3, start: padding.1, length: input.shape[3])           // [B, C, H, W], a view of `source`
            interior.copyElements(from: input)
        }
        let windows = try Self.windows(source, kernel: kernel, stride: stride)   // [B, C, kh, kw, oh, ow]
        return try windows.reshaped(columns.shape)                              // [B, C·kh·kw, oh·ow]
    }
}

// MARK: - conv2d and multi-channel conv1d

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
public func conv2dPlan<Scalar: TensorScalar>(
    input: TensorLayout, weight: TensorLayout, hasBias: Bool = true, stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), scalar: Scalar.Type
) throws -> LoweringPlan {
    try ConvolutionLowering(
        input: input, weight: weight, bias: hasBias ? [weight.shape.first ?? 0] : nil, stride: stride, padding: padding,
        op: "conv2d", scalar: Scalar.self
    ).plan
}

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
    let out = try lowering.run(input.unsqueezed(2), weight.unsqueezed(2), bias)   // [B, O, 1, Lout]
    return try out.squeezed(2)                                                     // [B, O, Lout]
}

/// The plan of ``conv1d(_:weight:bias:stride:padding:)`` for these layouts.
public func conv1dPlan<Scalar: TensorScalar>(
    input: TensorLayout, weight: TensorLayout, hasBias: Bool = true, stride: Int = 1, padding: Int = 0, scalar: Scalar.Type
) throws -> LoweringPlan {
    try checkConv1dShapes(input.shape, weight.shape)
    var plan = try ConvolutionLowering(
        input: input.applying { $0.unsqueezed(2) }, weight: weight.applying { $0.unsqueezed(2) },
        bias: hasBias ? [weight.shape[0]] : nil, stride: (1, stride), padding: (0, padding), op: "conv1d", scalar: Scalar.self
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

/// A convolution planned from layouts: im2col, the kernels as a matrix, one GEMM per batch
/// element, the bias.
struct ConvolutionLowering {
    let im2col: Im2ColLowering
    /// `[O, C·kh·kw]`: a view of the weight, or contiguous when it must be copied.
    let kernels: TensorLayout
    /// `kernels [O, C·kh·kw] · columns [B, C·kh·kw, oh·ow]` → `[B, O, oh·ow]`; the kernels are
    /// shared by the batch (batch stride 0).
    let gemm: BatchedMatmulLowering
    let outputShape: [Int]
    let plan: LoweringPlan

    init<Scalar: TensorScalar>(
        input: TensorLayout, weight: TensorLayout, bias: [Int]?, stride: (Int, Int), padding: (Int, Int), op: String,
        scalar: Scalar.Type
    ) throws {
        guard input.shape.count == 4, weight.shape.count == 4, input.shape[1] == weight.shape[1] else {
            let detail = input.shape.count == 4 && weight.shape.count == 4
                ? ": input has \(input.shape[1]) channels but weight expects \(weight.shape[1])" : ""
            throw TensorError(
                op: op,
                "input \(describe(input.shape)) and weight \(describe(weight.shape)) must be [B, C, H, W] and [O, C, kh, kw] with the same C\(detail)")
        }
        let (o, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        if let bias, bias != [o] {
            throw TensorError(op: op, "bias has shape \(describe(bias)) but weight \(describe(weight.shape)) needs [\(o)] (one per output channel)")
        }
        let im2col = try Im2ColLowering(input, kernel: (kh, kw), stride: stride, padding: padding, op: op, scalar: Scalar.self)
        let bytes = MemoryLayout<Scalar>.stride
        var steps = im2col.steps
        var intermediates = im2col.intermediates
        let kernelShape = [o, c * kh * kw]
        if let view = weight.viewed(as: kernelShape) {
            kernels = view
        } else {
            kernels = TensorLayout(contiguous: kernelShape)
            steps.append(.copy(OperandCopy(
                operand: "weight", shape: kernelShape, bytes: kernelShape.product * bytes,
                reason: "its strides do not allow viewing [O, C, kh, kw] as [O, C·kh·kw]")))
        }
        steps.append(.view("kernels = weight as \(kernels)"))
        gemm = try BatchedMatmulLowering(kernels, im2col.columns, scalar: Scalar.self, op: op)
        steps += gemm.plan(op: op, names: ("kernels", "columns")).steps
        let (oh, ow) = im2col.outputSize
        intermediates.append(.init(name: "kernels · columns", shape: gemm.outputShape))
        if bias != nil { steps.append(.pass("add bias [\(o)] along the output channels, in place")) }
        steps.append(.view("\(describe(gemm.outputShape)) viewed as \(describe([input.shape[0], o, oh, ow]))"))
        self.im2col = im2col
        self.outputShape = [input.shape[0], o, oh, ow]
        self.plan = LoweringPlan(op: op, steps: steps, intermediates: intermediates, outputShape: outputShape)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ weight: Tensor<Scalar>, _ bias: Tensor<Scalar>?) throws -> Tensor<Scalar> {
        let columns = try im2col.run(input)                     // [B, C·kh·kw, oh·ow]
        let matrix = try weight.reshaped(kernels.shape)         // [O, C·kh·kw]
        var out = try gemm.run(matrix, columns)                 // [B, O, oh·ow]
        if let bias { out.addBias(bias, along: 1) }
        return try out.view(outputShape)                        // [B, O, oh, ow]
    }
}

// MARK: - Vision Transformer patches

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
public func patchifyPlan<Scalar: TensorScalar>(_ image: TensorLayout, patch: Int, scalar: Scalar.Type) throws -> LoweringPlan {
    let lowering = try PatchifyLowering(image, patch: patch, op: "patchify", scalar: Scalar.self)
    return LoweringPlan(op: "patchify", steps: lowering.steps, intermediates: [], outputShape: lowering.patches.shape)
}

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
        return try image.view([b, c, h / patch, patch, w / patch, patch])   // [B, C, H/P, P, W/P, P]
            .permuted(0, 2, 4, 1, 3, 5)                                        // [B, H/P, W/P, C, P, P]
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
            steps.append(.copy(OperandCopy(
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
        try Self.blocks(image, patch: patch).reshaped(patches.shape)   // [B, (H/P)·(W/P), C·P·P]
    }
}

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
                "weight \(describe(weight.shape)) must be [E, C·P·P] with P = \(patch) >= 1 (its second dimension a multiple of P·P = \(patch * patch))")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError(op: "PatchEmbedding", "bias has shape \(describe(bias.shape)) but weight \(describe(weight.shape)) needs [\(weight.shape[0])]")
        }
        self.weight = weight
        self.bias = bias
        self.patch = patch
    }

    /// PyTorch's default initialisation for the equivalent `nn.Conv2d`: weight and bias uniform
    /// in ±1/√(C·P·P), drawn from `generator`.
    public init(channels: Int, patch: Int, embedding: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        precondition(channels >= 1 && patch >= 1 && embedding >= 1, "PatchEmbedding: channels, patch and embedding must be at least 1")
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
        let patches = try patchify.run(image)                              // [B, L, C·P·P]
        var out = try gemm.run(patches, weight.transposed(0, 1))           // [B, L, E]
        if let bias { out.addBias(bias, along: 2) }
        return out
    }

    /// The patchify copy, the GEMM and the bias pass for an image with this layout.
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

// MARK: - Bias

extension Tensor {
    /// Adds `bias [n]` along dimension `dim` (of size n) in place: the bias pass after a GEMM.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    fileprivate mutating func addBias(_ bias: Tensor, along dim: Int) {
        precondition(bias.shape == [shape[dim]], "addBias: bias \(describe(bias.shape)) does not match dimension \(dim) of \(describe(shape))")
        makeUniqueAndWritable()
        var biasStrides = Array(repeating: 0, count: rank)
        biasStrides[dim] = bias.strides[0]
        let out = storage.pointer, source = bias.storage.pointer
        StridedLoop(shape: shape, strides: [strides, biasStrides]).forEachRow(baseOffsets: [offset, bias.offset]) { starts, count, inner in
            var (o, s) = (starts[0], starts[1])
            for _ in 0 ..< count {
                out[o] += source[s]
                o += inner[0]
                s += inner[1]
            }
        }
    }
}
