import RealModule

// Numerically stable softmax and log-softmax along any dimension.

extension Tensor {
    /// softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along `dim`, with m = maxⱼ xⱼ.
    ///
    /// Subtracting the maximum keeps every exponent ≤ 0, so logits of ±1e4 give finite
    /// results. Entries equal to −∞ get weight 0. **A line whose entries are all −∞ gives all
    /// zeros, not NaN** (PyTorch returns NaN there); this is what a fully masked attention row
    /// needs. The sum is accumulated in Double.
    /// - Throws: ``TensorError`` when `dim` is out of range.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func softmax(dim: Int = -1) throws -> Tensor {
        try lineWise(dim: dim, op: "softmax") { line, count, stride, out, outStride in
            softmaxLine(line, count: count, stride: stride, into: out, outStride: outStride)
        }
    }

    /// log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m) along `dim`. A line of all −∞ gives all −∞.
    /// - Throws: ``TensorError`` when `dim` is out of range.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSoftmax(dim: Int = -1) throws -> Tensor {
        try lineWise(dim: dim, op: "logSoftmax") { line, count, stride, out, outStride in
            var m = -Scalar.infinity
            for i in 0..<count where line[i * stride] > m || line[i * stride].isNaN { m = line[i * stride] }
            guard m != -.infinity else {
                for i in 0..<count { out[i * outStride] = -.infinity }
                return
            }
            var total = 0.0
            for i in 0..<count { total += Double(Scalar.exp(line[i * stride] - m)) }
            let logTotal = Scalar(Double.log(total))
            for i in 0..<count { out[i * outStride] = line[i * stride] - m - logTotal }
        }
    }

    /// Calls `body` once per line along `dim` with the input line and the matching line of a
    /// new contiguous output tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func lineWise(
        dim: Int, op: String,
        _ body: (UnsafePointer<Scalar>, Int, Int, UnsafeMutablePointer<Scalar>, Int) -> Void
    ) throws -> Tensor {
        let axis = try normalizedDim(dim, rank: rank, op: op)
        let result = Tensor(shape: shape)
        if count == 0 { return result }
        if rank == 0 {
            body(storage.pointer + offset, 1, 0, result.storage.pointer, 0)
            return result
        }
        var lineShape = shape
        lineShape[axis] = 1
        let source = UnsafePointer(storage.pointer)
        let destination = result.storage.pointer
        let length = shape[axis]
        let stride = strides[axis]
        let outStride = result.strides[axis]
        StridedLoop(shape: lineShape, strides: [strides, result.strides]).forEachRow(baseOffsets: [offset, 0]) {
            starts, n, inner in
            var s = starts[0]
            var d = starts[1]
            for _ in 0..<n {
                body(source + s, length, stride, destination + d, outStride)
                s += inner[0]
                d += inner[1]
            }
        }
        return result
    }
}

/// Softmax of one strided line into another; the shared kernel of ``Tensor/softmax(dim:)`` and
/// attention. All −∞ (or empty) gives zeros.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func softmaxLine<Scalar: TensorScalar>(
    _ line: UnsafePointer<Scalar>, count: Int, stride: Int, into out: UnsafeMutablePointer<Scalar>, outStride: Int
) {
    var m = -Scalar.infinity
    for i in 0..<count where line[i * stride] > m || line[i * stride].isNaN { m = line[i * stride] }
    guard m != -.infinity else {
        for i in 0..<count { out[i * outStride] = 0 }
        return
    }
    var total = 0.0
    for i in 0..<count {
        let e = Scalar.exp(line[i * stride] - m)
        out[i * outStride] = e
        total += Double(e)
    }
    let scale = Scalar(1 / total)
    for i in 0..<count { out[i * outStride] *= scale }
}
