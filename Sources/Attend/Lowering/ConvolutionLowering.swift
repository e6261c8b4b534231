// Convolution by unfolding: the input's sliding windows become the columns of a matrix
// (im2col), and the convolution is one GEMM of the flattened kernels with that matrix.
// Convolutions are cross-correlations, as in PyTorch: the kernel is not flipped.
//
// Every op is planned from layouts first (a `…Lowering` value: the views, the copies with their
// bytes, the GEMM), then executed by the same value, so a plan and its op cannot disagree.

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
            let detail =
                input.shape.count == 4 && weight.shape.count == 4
                ? ": input has \(input.shape[1]) channels but weight expects \(weight.shape[1])" : ""
            throw TensorError(
                op: op,
                "input \(describe(input.shape)) and weight \(describe(weight.shape)) must be [B, C, H, W] and [O, C, kh, kw] with the same C\(detail)"
            )
        }
        let (o, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        if let bias, bias != [o] {
            throw TensorError(
                op: op,
                "bias has shape \(describe(bias)) but weight \(describe(weight.shape)) needs [\(o)] (one per output channel)"
            )
        }
        let im2col = try Im2ColLowering(
            input, kernel: (kh, kw), stride: stride, padding: padding, op: op, scalar: Scalar.self)
        let bytes = MemoryLayout<Scalar>.stride
        var steps = im2col.steps
        var intermediates = im2col.intermediates
        let kernelShape = [o, c * kh * kw]
        if let view = weight.viewed(as: kernelShape) {
            kernels = view
        } else {
            kernels = TensorLayout(contiguous: kernelShape)
            steps.append(
                .copy(
                    OperandCopy(
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
    func run<Scalar: TensorScalar>(_ input: Tensor<Scalar>, _ weight: Tensor<Scalar>, _ bias: Tensor<Scalar>?) throws
        -> Tensor<Scalar>
    {
        let columns = try im2col.run(input)  // [B, C·kh·kw, oh·ow]
        let matrix = try weight.reshaped(kernels.shape)  // [O, C·kh·kw]
        var out = try gemm.run(matrix, columns)  // [B, O, oh·ow]
        if let bias { out.addBias(bias, along: 1) }
        return try out.view(outputShape)  // [B, O, oh, ow]
    }
}
