extension Tensor {
    /// Joins tensors along `dim` — PyTorch's `torch.cat`. All other dimensions must match.
    /// The result is a new contiguous tensor.
    /// - Throws: ``TensorError`` naming the first operand whose shape does not fit.
    public static func concatenated(_ parts: [Tensor], dim: Int) throws -> Tensor {
        guard let first = parts.first else {
            throw TensorError(op: "concatenated", "needs at least one tensor")
        }
        let axis = try normalizedDim(dim, rank: first.rank, op: "concatenated")
        for (i, part) in parts.enumerated() {
            var a = part.shape
            var b = first.shape
            guard a.count == b.count else {
                throw TensorError(
                    op: "concatenated",
                    "tensor \(i) has shape \(describe(part.shape)) but tensor 0 has \(describe(first.shape)): ranks differ"
                )
            }
            a[axis] = 0
            b[axis] = 0
            guard a == b else {
                throw TensorError(
                    op: "concatenated",
                    "tensor \(i) has shape \(describe(part.shape)) but tensor 0 has \(describe(first.shape)): only dimension \(dim) may differ"
                )
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let result = Tensor(shape: shape)
        var start = 0
        for part in parts {
            var window = try result.narrowed(axis, start: start, length: part.shape[axis])
            window.copyElements(from: part)
            start += part.shape[axis]
        }
        return result
    }

    /// Copies `source`'s elements into this view's elements in place (shapes equal). Used only
    /// on views of freshly allocated results, whose buffer nothing else reads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func copyElements(from source: Tensor) {
        precondition(source.shape == shape, "copyElements: shapes \(source.shape) and \(shape) differ")
        let destination = storage.pointer
        let from = source.storage.pointer
        StridedLoop(shape: shape, strides: [source.strides, strides]).forEachRow(baseOffsets: [source.offset, offset]) {
            starts, n, inner in
            var s = starts[0]
            var d = starts[1]
            for _ in 0..<n {
                destination[d] = from[s]
                s += inner[0]
                d += inner[1]
            }
        }
    }
}
