/// Root-mean-square normalization over the last dimension (Llama's `RMSNorm`, PyTorch
/// `nn.RMSNorm`):
///
///     y = x / √(mean(x²) + eps) · weight          x [..., D], weight [D]
///
/// No mean is subtracted and there is no bias. The mean of squares is accumulated in Double.
/// - SeeAlso: `Reference.rmsNorm` in AttendReference.
public struct RMSNorm<Scalar: TensorScalar>: Sendable {
    /// Added to the mean of squares before the square root, `1 / √(mean(x²) + eps)` (Llama's
    /// `rms_norm_eps`, often 1e-5 or 1e-6).
    public let eps: Double
    /// `[D]`.
    public let weight: Tensor<Scalar>

    /// A layer normalizing over `weight`'s width D: `x [..., D]` → `x / √(mean(x²) + eps) · weight`.
    /// - Throws: ``TensorError`` when the weight is not 1-D.
    public init(weight: Tensor<Scalar>, eps: Double = 1e-5) throws {
        guard weight.rank == 1 else {
            throw TensorError(op: "RMSNorm", "weight must be [D], got \(describe(weight.shape))")
        }
        self.weight = weight.contiguous()
        self.eps = eps
    }

    /// Normalizes `x [..., D]`.
    /// - Throws: ``TensorError`` when the last dimension of `x` is not the weight's D.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let n = weight.count
        guard x.rank >= 1, x.shape[x.rank - 1] == n else {
            throw TensorError(op: "RMSNorm", "input \(describe(x.shape)) must end with D = \(n), the weight's size")
        }
        let source = x.contiguous()
        let result = Tensor<Scalar>(shape: x.shape)
        withExtendedLifetime((source, weight)) {
            let input = source.storage.pointer + source.offset
            let output = result.storage.pointer
            let scale = weight.storage.pointer + weight.offset
            for row in 0..<(n == 0 ? 0 : x.count / n) {
                let base = row * n
                var squares = 0.0
                for i in 0..<n { squares += Double(input[base + i]) * Double(input[base + i]) }
                let inverse = Scalar(1 / (squares / Double(n) + eps).squareRoot())
                for i in 0..<n { output[base + i] = input[base + i] * inverse * scale[i] }
            }
        }
        return result
    }
}
