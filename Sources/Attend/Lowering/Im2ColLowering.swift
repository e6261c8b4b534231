// Convolution by unfolding: the input's sliding windows become the columns of a matrix
// (im2col), and the convolution is one GEMM of the flattened kernels with that matrix.
// Convolutions are cross-correlations, as in PyTorch: the kernel is not flipped.
//
// Every op is planned from layouts first (a `…Lowering` value: the views, the copies with their
// bytes, the GEMM), then executed by the same value, so a plan and its op cannot disagree.

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
        try x.unfolded(2, size: kernel.0, step: stride.0)  // [B, C, oh, W, kh]
            .unfolded(3, size: kernel.1, step: stride.1)  // [B, C, oh, ow, kh, kw]
            .permuted(0, 1, 4, 5, 2, 3)  // [B, C, kh, kw, oh, ow]
    }

    init<Scalar: TensorScalar>(
        _ input: TensorLayout, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), op: String,
        scalar: Scalar.Type
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
            steps.append(
                .copy(
                    OperandCopy(
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
        steps.append(
            .view(
                "windows = input.unfolded(2, size: \(kernel.0), step: \(stride.0)).unfolded(3, size: \(kernel.1), step: \(stride.1))"
                    + ".permuted(0, 1, 4, 5, 2, 3) → \(windows)"))
        if let view = windows.viewed(as: shape) {
            steps.append(.view("columns = windows viewed as \(describe(shape)) (no copy)"))
            columns = view
            copy = false
        } else {
            steps.append(
                .copy(
                    OperandCopy(
                        operand: "im2col columns", shape: shape, bytes: shape.product * bytes,
                        reason:
                            "the windows [B, C, kh, kw, oh, ow] cannot be viewed as [B, C·kh·kw, oh·ow] (they overlap or have gaps)"
                    )))
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
            source = Tensor(shape: paddedShape)  // zeros [B, C, H + 2·ph, W + 2·pw]
            var interior =
                try source
                .narrowed(2, start: padding.0, length: input.shape[2])
                .narrowed(3, start: padding.1, length: input.shape[3])  // [B, C, H, W], a view of `source`
            interior.copyElements(from: input)
        }
        let windows = try Self.windows(source, kernel: kernel, stride: stride)  // [B, C, kh, kw, oh, ow]
        return try windows.reshaped(columns.shape)  // [B, C·kh·kw, oh·ow]
    }
}
