// Convolutions are cross-correlations, as in PyTorch: the kernel is not flipped.

extension Reference {
    /// Plain 1-D cross-correlation of a signal with a kernel:
    /// `out[i] = Σ_k signal[i·stride + k]·kernel[k]`.
    ///
    /// Shapes: signal [N], kernel [K] → [(N − K)/stride + 1].
    /// Example: signal 10, 20, …, 100 with kernel [0.5, 1, 0.5] → [40, 60, …, 180].
    /// - Throws: ``ReferenceError`` when the signal or kernel is not 1-D, the kernel is longer than the
    /// signal, or the stride is < 1.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func correlate<Scalar>(
        signal: ReferenceArray<Scalar>, kernel: ReferenceArray<Scalar>, stride: Int = 1
    ) throws -> ReferenceArray<Scalar> {
        guard signal.rank == 1, kernel.rank == 1, kernel.shape[0] >= 1, kernel.shape[0] <= signal.shape[0], stride >= 1
        else {
            throw ReferenceError.shapeMismatch(
                op: "conv1d",
                message:
                    "signal \(formatShape(signal.shape)) and kernel \(formatShape(kernel.shape)) with stride \(stride) do not fit (needs 1-D signal [N], 1-D kernel [K] with 1 <= K <= N, stride >= 1)"
            )
        }
        let n = signal.shape[0]
        let k = kernel.shape[0]
        let outLength = (n - k) / stride + 1
        var out = [Scalar](repeating: 0, count: outLength)
        for i in 0..<outLength {
            var total: Scalar = 0
            for j in 0..<k { total += signal.values[i * stride + j] * kernel.values[j] }
            out[i] = total
        }
        return ReferenceArray(shape: [outLength], values: out)
    }

    /// Batched multi-channel 1-D convolution (torch.nn.functional.conv1d, groups = 1, dilation = 1):
    /// `out[b, o, t] = bias[o] + Σ_c Σ_k input[b, c, t·stride + k − padding]·weight[o, c, k]`,
    /// reading zeros outside the input.
    ///
    /// Shapes: input [B, C, L], weight [O, C, K], bias [O] or nil → [B, O, (L + 2·padding − K)/stride + 1].
    /// - Throws: ``ReferenceError`` when the input, weight and bias shapes disagree (`[B, C, L]`, `[O, C, K]`,
    ///   `[O]`), the kernel is longer than the padded input, the stride is < 1 or the padding negative.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func conv1d<Scalar>(
        _ input: ReferenceArray<Scalar>, weight: ReferenceArray<Scalar>, bias: ReferenceArray<Scalar>? = nil,
        stride: Int = 1, padding: Int = 0
    ) throws -> ReferenceArray<Scalar> {
        guard input.rank == 3, weight.rank == 3, input.shape[1] == weight.shape[1] else {
            throw ReferenceError.shapeMismatch(
                op: "conv1d",
                message:
                    "input \(formatShape(input.shape)) and weight \(formatShape(weight.shape)) must be [B, C, L] and [O, C, K] with the same C"
            )
        }
        let batch = input.shape[0]
        let channels = input.shape[1]
        let length = input.shape[2]
        let outChannels = weight.shape[0]
        let k = weight.shape[2]
        try checkConvBias(bias, outChannels: outChannels, weight: weight, op: "conv1d")
        guard stride >= 1, padding >= 0, k >= 1, length + 2 * padding >= k else {
            throw ReferenceError.invalidArgument(
                op: "conv1d",
                message:
                    "kernel \(k) with stride \(stride), padding \(padding) does not fit input length \(length) of \(formatShape(input.shape)) (needs stride >= 1, padding >= 0, 1 <= K <= L + 2·padding)"
            )
        }
        let outLength = (length + 2 * padding - k) / stride + 1
        var out = ReferenceArray<Scalar>(shape: [batch, outChannels, outLength], repeating: 0)
        for b in 0..<batch {
            for o in 0..<outChannels {
                for t in 0..<outLength {
                    var total: Scalar = bias?.values[o] ?? 0
                    for c in 0..<channels {
                        for j in 0..<k {
                            let position = t * stride + j - padding
                            if position < 0 || position >= length { continue }
                            total +=
                                input.values[(b * channels + c) * length + position]
                                * weight.values[(o * channels + c) * k + j]
                        }
                    }
                    out.values[(b * outChannels + o) * outLength + t] = total
                }
            }
        }
        return out
    }

    /// Extracts sliding patches exactly like torch.nn.functional.unfold (im2col), with zero padding.
    ///
    /// Shapes: input [B, C, H, W] → [B, C·kh·kw, oh·ow] with oh = (H + 2·ph − kh)/sh + 1,
    /// ow = (W + 2·pw − kw)/sw + 1, and
    /// `out[b, c·kh·kw + i·kw + j, y·ow + x] = input[b, c, y·sh − ph + i, x·sw − pw + j]` (0 outside).
    /// - Throws: ``ReferenceError`` when the input is not `[B, C, H, W]`, the kernel does not fit the
    ///   padded input, the stride is < 1 or the padding negative.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func im2col<Scalar>(
        _ input: ReferenceArray<Scalar>, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)
    ) throws -> ReferenceArray<Scalar> {
        guard input.rank == 4 else {
            throw ReferenceError.shapeMismatch(
                op: "im2col", message: "input \(formatShape(input.shape)) must be [B, C, H, W]")
        }
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oh, ow) = try convOutputSize(
            height: height, width: width, kernel: kernel, stride: stride, padding: padding, op: "im2col",
            shape: input.shape)
        let (kh, kw) = kernel
        var out = ReferenceArray<Scalar>(shape: [batch, channels * kh * kw, oh * ow], repeating: 0)
        for b in 0..<batch {
            for c in 0..<channels {
                for i in 0..<kh {
                    for j in 0..<kw {
                        for y in 0..<oh {
                            for x in 0..<ow {
                                let row = y * stride.0 - padding.0 + i
                                let column = x * stride.1 - padding.1 + j
                                if row < 0 || row >= height || column < 0 || column >= width { continue }
                                out[b, c * kh * kw + i * kw + j, y * ow + x] = input[b, c, row, column]
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2-D convolution (torch.nn.functional.conv2d, groups = 1, dilation = 1), computed directly:
    /// `out[b, o, y, x] = bias[o] + Σ_c Σ_i Σ_j input[b, c, y·sh − ph + i, x·sw − pw + j]·weight[o, c, i, j]`,
    /// reading zeros outside the input.
    ///
    /// Shapes: input [B, C, H, W], weight [O, C, kh, kw], bias [O] or nil → [B, O, oh, ow] with
    /// oh = (H + 2·ph − kh)/sh + 1, ow = (W + 2·pw − kw)/sw + 1.
    /// - Throws: ``ReferenceError`` when the input, weight and bias shapes disagree (`[B, C, H, W]`,
    ///   `[O, C, kh, kw]`, `[O]`), the kernel is larger than the padded image, the stride is < 1 or the
    ///   padding negative.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func conv2d<Scalar>(
        _ input: ReferenceArray<Scalar>, weight: ReferenceArray<Scalar>, bias: ReferenceArray<Scalar>? = nil,
        stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)
    ) throws -> ReferenceArray<Scalar> {
        guard input.rank == 4, weight.rank == 4, input.shape[1] == weight.shape[1] else {
            throw ReferenceError.shapeMismatch(
                op: "conv2d",
                message:
                    "input \(formatShape(input.shape)) and weight \(formatShape(weight.shape)) must be [B, C, H, W] and [O, C, kh, kw] with the same C"
            )
        }
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outChannels, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        try checkConvBias(bias, outChannels: outChannels, weight: weight, op: "conv2d")
        let (oh, ow) = try convOutputSize(
            height: height, width: width, kernel: (kh, kw), stride: stride, padding: padding, op: "conv2d",
            shape: input.shape)
        var out = ReferenceArray<Scalar>(shape: [batch, outChannels, oh, ow], repeating: 0)
        for b in 0..<batch {
            for o in 0..<outChannels {
                for y in 0..<oh {
                    for x in 0..<ow {
                        var total: Scalar = bias?.values[o] ?? 0
                        for c in 0..<channels {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let row = y * stride.0 - padding.0 + i
                                    let column = x * stride.1 - padding.1 + j
                                    if row < 0 || row >= height || column < 0 || column >= width { continue }
                                    // input[b, c, row, column] · weight[o, c, i, j]
                                    total +=
                                        input.values[((b * channels + c) * height + row) * width + column]
                                        * weight.values[((o * channels + c) * kh + i) * kw + j]
                                }
                            }
                        }
                        out.values[((b * outChannels + o) * oh + y) * ow + x] = total
                    }
                }
            }
        }
        return out
    }

    /// Cuts an image into non-overlapping P×P patches, one row per patch (ViT patch embedding input):
    /// `F.unfold(image, P, stride: P).transpose(1, 2)`.
    ///
    /// Shapes: image [B, C, H, W] → [B, (H/P)·(W/P), C·P·P] with
    /// `out[b, py·(W/P) + px, c·P·P + i·P + j] = image[b, c, py·P + i, px·P + j]`.
    /// - Throws: ``ReferenceError`` when H or W is not divisible by P.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func patchify<Scalar>(_ image: ReferenceArray<Scalar>, patch: Int) throws -> ReferenceArray<Scalar> {
        guard image.rank == 4 else {
            throw ReferenceError.shapeMismatch(
                op: "patchify", message: "image \(formatShape(image.shape)) must be [B, C, H, W]")
        }
        let (batch, channels, height, width) = (image.shape[0], image.shape[1], image.shape[2], image.shape[3])
        guard patch >= 1, height % patch == 0, width % patch == 0 else {
            throw ReferenceError.shapeMismatch(
                op: "patchify",
                message:
                    "image \(formatShape(image.shape)) cannot be cut into \(patch)×\(patch) patches (H = \(height) and W = \(width) must both be divisible by P = \(patch))"
            )
        }
        let (rows, columns) = (height / patch, width / patch)
        let patchSize = channels * patch * patch
        var out = ReferenceArray<Scalar>(shape: [batch, rows * columns, patchSize], repeating: 0)
        for b in 0..<batch {
            for py in 0..<rows {
                for px in 0..<columns {
                    for c in 0..<channels {
                        for i in 0..<patch {
                            for j in 0..<patch {
                                out[b, py * columns + px, c * patch * patch + i * patch + j] =
                                    image[b, c, py * patch + i, px * patch + j]
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    // MARK: - Internals

    static func checkConvBias<Scalar>(
        _ bias: ReferenceArray<Scalar>?, outChannels: Int, weight: ReferenceArray<Scalar>, op: String
    ) throws {
        if let bias, bias.shape != [outChannels] {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "bias \(formatShape(bias.shape)) must be [O] = [\(outChannels)] for weight \(formatShape(weight.shape))"
            )
        }
    }

    static func convOutputSize(
        height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), op: String, shape: [Int]
    ) throws -> (Int, Int) {
        guard kernel.0 >= 1, kernel.1 >= 1, stride.0 >= 1, stride.1 >= 1, padding.0 >= 0, padding.1 >= 0,
            height + 2 * padding.0 >= kernel.0, width + 2 * padding.1 >= kernel.1
        else {
            throw ReferenceError.invalidArgument(
                op: op,
                message:
                    "kernel \(kernel), stride \(stride), padding \(padding) do not fit input \(formatShape(shape)) (needs kernel >= 1, stride >= 1, padding >= 0 and kernel <= size + 2·padding in each spatial dim)"
            )
        }
        return ((height + 2 * padding.0 - kernel.0) / stride.0 + 1, (width + 2 * padding.1 - kernel.1) / stride.1 + 1)
    }
}
