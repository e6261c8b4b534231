/// Layer normalization over the last `normalizedShape.count` dimensions (PyTorch
/// `nn.LayerNorm`):
///
///     y = (x − mean) / √(var + eps) · weight + bias
///
/// with the mean and the **biased** variance (÷ N) taken over the normalized dimensions, in
/// Double. (Dividing by `std + eps` with the unbiased std, a common hand-written variant, is not
/// the same function.)
public struct LayerNorm<Scalar: TensorScalar>: Sendable {
    /// The trailing dimensions normalized together (`[E]` for a transformer's `[B, L, E]`): the input's
    /// last `normalizedShape.count` dimensions must equal it.
    public let normalizedShape: [Int]
    /// Added to the variance before the square root, `1 / √(var + eps)` (PyTorch's default 1e-5).
    public let eps: Double
    /// `normalizedShape`-shaped scale and shift, or nil without affine parameters.
    public private(set) var weight: Tensor<Scalar>?, bias: Tensor<Scalar>?

    /// A layer with weight 1 and bias 0 (PyTorch's initialisation) when `affine`.
    public init(normalizedShape: [Int], eps: Double = 1e-5, affine: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = affine ? .ones(normalizedShape) : nil
        bias = affine ? .zeros(normalizedShape) : nil
    }

    /// A layer with given parameters.
    /// - Throws: ``TensorError`` when a parameter's shape is not `normalizedShape`.
    public init(normalizedShape: [Int], eps: Double = 1e-5, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?) throws {
        for (name, p) in [("weight", weight), ("bias", bias)] {
            if let p, p.shape != normalizedShape {
                throw TensorError(
                    op: "LayerNorm",
                    "\(name) has shape \(describe(p.shape)) but normalizedShape is \(describe(normalizedShape))")
            }
        }
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    /// Normalizes `x [..., normalizedShape…]`.
    /// - Throws: ``TensorError`` when x's trailing dimensions are not `normalizedShape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let k = normalizedShape.count
        guard x.rank >= k, Array(x.shape.suffix(k)) == normalizedShape else {
            throw TensorError(
                op: "LayerNorm",
                "input \(describe(x.shape)) must end with normalizedShape \(describe(normalizedShape)) (the dimensions normalized over)"
            )
        }
        let n = normalizedShape.product
        let source = x.contiguous()
        let result = Tensor<Scalar>(shape: x.shape)
        let gamma = weight?.contiguous()
        let beta = bias?.contiguous()
        withExtendedLifetime((source, gamma, beta)) {
            let input = source.storage.pointer + source.offset
            let output = result.storage.pointer
            let scale = gamma.map { $0.storage.pointer + $0.offset }
            let shift = beta.map { $0.storage.pointer + $0.offset }
            for row in 0..<(n == 0 ? 0 : x.count / n) {
                let base = row * n
                var sum = 0.0
                for i in 0..<n { sum += Double(input[base + i]) }
                let mean = sum / Double(n)
                var squares = 0.0
                for i in 0..<n {
                    let d = Double(input[base + i]) - mean
                    squares += d * d
                }
                let inverse = 1 / (squares / Double(n) + eps).squareRoot()
                for i in 0..<n {
                    var y = (Double(input[base + i]) - mean) * inverse
                    if let scale { y *= Double(scale[i]) }
                    if let shift { y += Double(shift[i]) }
                    output[base + i] = Scalar(y)
                }
            }
        }
        return result
    }
}

extension LayerNorm where Scalar == Float {
    /// Normalizes each row of `rows` (`[N, E]` contiguous, E = the normalized width) in place, in
    /// Float with the kernel family's LayerNorm pass (the one ``PackedEncoder`` runs; its bound is
    /// `ErrorBounds.familyLayerNorm`), rows spread over Attend's workers.
    /// - Throws: ``TensorError`` when the buffer is not a whole number of rows of width E.
    public func normalizeRows(_ rows: UnsafeMutableBufferPointer<Float>) throws {
        let e = normalizedShape.product
        guard e > 0, rows.count % e == 0 else {
            throw TensorError(
                op: "LayerNorm.normalizeRows",
                "a buffer of \(rows.count) floats is not a whole number of rows of normalizedShape \(describe(normalizedShape))"
            )
        }
        guard let base = rows.baseAddress else { return }
        RowPass.layerNorm(
            KernelPath.active.kernels, into: base, x: base, residual: nil, bias: nil,
            norm: (weight?.contiguous(), bias?.contiguous(), Float(eps)), rows: rows.count / e, cols: e)
    }
}
