extension Reference {
    /// Affine map y = x·Wᵀ + b (torch.nn.functional.linear):
    /// `y[..., o] = Σ_i x[..., i]·weight[o, i] + bias[o]`.
    ///
    /// Shapes: x [..., in], weight [out, in] (PyTorch layout), bias [out] or nil → y [..., out].
    /// - Throws: ``ReferenceError`` when x.shape[-1] != weight.shape[1], weight is not 2-D, or bias
    ///   is not [out].
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func linear<Scalar>(
        _ x: ReferenceArray<Scalar>, weight: ReferenceArray<Scalar>, bias: ReferenceArray<Scalar>? = nil
    ) throws -> ReferenceArray<Scalar> {
        guard weight.rank == 2 else {
            throw ReferenceError.shapeMismatch(
                op: "linear", message: "weight \(formatShape(weight.shape)) must be 2-D [out, in] (y = x·Wᵀ + b)")
        }
        let outFeatures = weight.shape[0]
        let inFeatures = weight.shape[1]
        guard x.rank >= 1, x.shape[x.rank - 1] == inFeatures else {
            let features = x.rank >= 1 ? "has \(x.shape[x.rank - 1]) features" : "has no feature dim"
            throw ReferenceError.shapeMismatch(
                op: "linear",
                message:
                    "input \(formatShape(x.shape)) \(features) but weight \(formatShape(weight.shape)) expects \(inFeatures) (y = x·Wᵀ + b needs x.shape[-1] == weight.shape[1])"
            )
        }
        if let bias, bias.shape != [outFeatures] {
            throw ReferenceError.shapeMismatch(
                op: "linear",
                message:
                    "bias \(formatShape(bias.shape)) does not match weight \(formatShape(weight.shape)) (y = x·Wᵀ + b needs bias.shape == [weight.shape[0]] = [\(outFeatures)])"
            )
        }
        let rowCount = elementCount(Array(x.shape.dropLast()))
        var y = [Scalar](repeating: 0, count: rowCount * outFeatures)
        for r in 0..<rowCount {
            for o in 0..<outFeatures {
                var total: Scalar = 0
                for i in 0..<inFeatures {
                    total += x.values[r * inFeatures + i] * weight.values[o * inFeatures + i]
                }
                if let bias { total += bias.values[o] }
                y[r * outFeatures + o] = total
            }
        }
        return ReferenceArray(shape: Array(x.shape.dropLast()) + [outFeatures], values: y)
    }
}
