extension Tensor {
    /// Adds `bias [n]` along dimension `dim` (of size n) in place: the bias pass after a GEMM.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func addBias(_ bias: Tensor, along dim: Int) {
        precondition(
            bias.shape == [shape[dim]],
            "addBias: bias \(describe(bias.shape)) does not match dimension \(dim) of \(describe(shape))")
        makeUniqueAndWritable()
        var biasStrides = Array(repeating: 0, count: rank)
        biasStrides[dim] = bias.strides[0]
        let out = storage.pointer
        let source = bias.storage.pointer
        StridedLoop(shape: shape, strides: [strides, biasStrides]).forEachRow(baseOffsets: [offset, bias.offset]) {
            starts, count, inner in
            var (o, s) = (starts[0], starts[1])
            for _ in 0..<count {
                out[o] += source[s]
                o += inner[0]
                s += inner[1]
            }
        }
    }
}
