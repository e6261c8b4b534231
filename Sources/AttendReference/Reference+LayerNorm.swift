import RealModule

extension Reference {
    /// Layer normalization over the last `normalizedDims` dims (nn.LayerNorm):
    /// for each group g of the last k dims, `y = (x − mean_g)/√(var_g + eps)·weight + bias` where
    /// var_g is the BIASED variance Σ(x − mean_g)²/n.
    ///
    /// Shapes: x [..., *S] with S the last k dims; weight and bias are S-shaped or nil (then 1 and 0).
    /// - Throws: ``ReferenceError`` when k is out of 1...rank or weight/bias are not S-shaped.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func layerNorm<Scalar>(
        _ x: ReferenceArray<Scalar>, normalizedDims k: Int,
        weight: ReferenceArray<Scalar>? = nil, bias: ReferenceArray<Scalar>? = nil, eps: Scalar = 1e-5
    ) throws -> ReferenceArray<Scalar> {
        guard k >= 1, k <= x.rank else {
            throw ReferenceError.invalidArgument(
                op: "layerNorm",
                message: "normalizedDims \(k) does not fit x \(formatShape(x.shape)) (needs 1 <= k <= rank \(x.rank))")
        }
        let normalizedShape = Array(x.shape.suffix(k))
        for (name, parameter) in [("weight", weight), ("bias", bias)] {
            if let parameter, parameter.shape != normalizedShape {
                throw ReferenceError.shapeMismatch(
                    op: "layerNorm",
                    message:
                        "\(name) \(formatShape(parameter.shape)) must have the normalized shape \(formatShape(normalizedShape)) (the last \(k) dims of x \(formatShape(x.shape)))"
                )
            }
        }
        let n = elementCount(normalizedShape)
        var out = x
        guard n > 0 else { return out }
        for g in 0..<(x.count / n) {
            let group = x.values[(g * n)..<((g + 1) * n)]
            let mean = meanOf(group)
            let variance = varianceOf(group, unbiased: false)
            let denominator = Scalar.sqrt(variance + eps)
            for t in 0..<n {
                var y = (x.values[g * n + t] - mean) / denominator
                if let weight { y *= weight.values[t] }
                if let bias { y += bias.values[t] }
                out.values[g * n + t] = y
            }
        }
        return out
    }
}
