import Attend

/// One weight matrix of the decoder, `[out, in]`, either as float32 (`Linear`, every product a
/// GEMM) or kept in its GGUF block format (`QuantizedLinear`: matrix-vector kernels for a decode
/// step, dequantized panels and GEMMs for a prompt). `callAsFunction(x)` = x·Wᵀ.
public enum Projection: Sendable {
    /// A float32 weight: x·Wᵀ is one GEMM.
    case dense(Linear<Float>)
    /// A weight kept in its GGUF blocks: x·Wᵀ on the quantized matrix-vector kernels or dequantized panels.
    case quantized(QuantizedLinear)

    /// x·Wᵀ for `x [..., in]` → `[..., out]`.
    /// - Throws: `TensorError` when `x`'s last dimension is not `in`.
    public func callAsFunction(_ x: Tensor<Float>) throws -> Tensor<Float> {
        switch self {
        case .dense(let linear): try linear(x)
        case .quantized(let layer): try layer(x)
        }
    }

    /// x·Wᵢᵀ for every projection, all reading the same `x [..., in]` (Q/K/V; gate and up): when all
    /// are block-quantized, one parallel pass for a single input row (`QuantizedLinear.apply(_:to:)`);
    /// otherwise one product each. Each result equals that projection's own call.
    /// - Throws: `TensorError` when `x`'s last dimension is not a projection's `in`.
    public static func apply(_ projections: [Projection], to x: Tensor<Float>) throws -> [Tensor<Float>] {
        let quantized = projections.compactMap { if case .quantized(let layer) = $0 { layer } else { nil } }
        if quantized.count == projections.count { return try QuantizedLinear.apply(quantized, to: x) }
        return try projections.map { try $0(x) }
    }

    /// x[r]·Wᵢᵀ for every projection i and every row r of `x [..., in]`, each row computed as if
    /// alone: `results[i][r]` equals `projections[i](x[r])` on that row shaped `[1, in]`, bit for
    /// bit. All block-quantized: one parallel pass on the matrix-vector kernels, each weight read
    /// once for all the rows (`QuantizedLinear.apply(_:toEachRowOf:)`); otherwise every row of
    /// every projection is its own one-row product (a GEMM's sum order can depend on its row count).
    ///
    ///     x [..., in] → results[i] [..., outᵢ]
    ///
    /// - Throws: `TensorError` when `x`'s last dimension is not a projection's `in`, or
    ///   `projections` is empty.
    public static func apply(_ projections: [Projection], toEachRowOf x: Tensor<Float>) throws -> [Tensor<Float>] {
        let quantized = projections.compactMap { if case .quantized(let layer) = $0 { layer } else { nil } }
        if quantized.count == projections.count { return try QuantizedLinear.apply(quantized, toEachRowOf: x) }
        for projection in projections where x.rank < 1 || x.shape[x.rank - 1] != projection.shape[1] {
            throw TensorError(
                op: "Projection.apply",
                "input \(x.shape) must end with in = \(projection.shape[1]) for the weight \(projection.shape) [out, in]"
            )
        }
        let width = x.shape[x.rank - 1]
        let rows = x.count / Swift.max(width, 1)
        let input = x.contiguous().scalars  // [R·in]
        return try projections.map { projection in
            let out = projection.shape[0]
            var scalars = [Float](repeating: 0, count: rows * out)  // [R·out]
            for r in 0..<rows {
                let row = try Tensor(shape: [1, width], scalars: Array(input[(r * width)..<((r + 1) * width)]))
                scalars.replaceSubrange((r * out)..<((r + 1) * out), with: try projection(row).scalars)
            }
            return try Tensor(shape: Array(x.shape.dropLast()) + [out], scalars: scalars)
        }
    }

    /// `[out, in]`.
    public var shape: [Int] {
        switch self {
        case .dense(let linear): linear.weight.shape
        case .quantized(let layer): [layer.outFeatures, layer.inFeatures]
        }
    }

    /// Rows of the weight as float32 `[rows.count, in]` (an embedding lookup).
    func rows(_ ids: [Int]) throws -> Tensor<Float> {
        switch self {
        case .dense(let linear):
            let d = linear.weight.shape[1]
            var scalars = [Float](repeating: 0, count: ids.count * d)
            linear.weight.withUnsafeBufferPointer { table in
                for (row, id) in ids.enumerated() { for e in 0..<d { scalars[row * d + e] = table[id * d + e] } }
            }
            return try Tensor(shape: [ids.count, d], scalars: scalars)
        case .quantized(let layer):
            return layer.dequantizedRows(ids)
        }
    }
}

/// How a decoder keeps the weights of a GGUF file in memory.
public enum WeightFormat: String, Sendable, CaseIterable {
    /// Block-quantized matrices stay in their GGUF blocks (norms stay float32).
    case quantized
    /// Every weight dequantized to float32 (the plain GEMM path, for comparison).
    case dequantized
}
