// Tensors made from a rule rather than from data. Random tensors (`randn`, `uniform`) are with
// their generator in RandomGenerator.swift.

extension Tensor {
    /// A contiguous tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }
    /// A contiguous tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }
    /// `[start, start + step, …]` below `end` as a rank-1 tensor.
    public static func arange(_ start: Scalar, _ end: Scalar, step: Scalar = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        var values: [Scalar] = []
        var x = start
        while step > 0 ? x < end : x > end {
            values.append(x)
            x = start + Scalar(values.count) * step
        }
        return Tensor(values)
    }
}
