// NumPy/PyTorch broadcasting and the elementwise arithmetic built on it.
//
// Two shapes broadcast when, aligned at their last dimension, each pair of sizes is equal or
// one of them is 1; missing leading dimensions count as 1. The result takes the larger size.

/// The shape two operands broadcast to.
/// - Throws: ``TensorError`` naming both shapes and the first dimension that does not fit.
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String = "broadcast") throws -> [Int] {
    let rank = max(a.count, b.count)
    var result = Array(repeating: 1, count: rank)
    for axis in 0..<rank {
        let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
        let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
        guard x == y || x == 1 || y == 1 else {
            throw TensorError(
                op: op,
                "shapes \(describe(a)) and \(describe(b)) do not broadcast: dimension \(axis - rank) has sizes \(x) and \(y) "
                    + "(sizes must be equal or one of them 1)")
        }
        result[axis] = x == 1 ? y : x
    }
    // Two views that fit can broadcast to a shape that does not ([2⁴⁰, 1] with [1, 2⁴⁰]).
    _ = try checkedElementCount(result, op: op)
    return result
}

extension Tensor {
    /// This tensor's strides when broadcast to `target` (0 for broadcast dimensions).
    /// The caller has checked that the shapes broadcast.
    func broadcastStrides(to target: [Int]) -> [Int] {
        let lead = target.count - rank
        return target.indices.map { axis in
            axis < lead || shape[axis - lead] == 1 && target[axis] != 1 ? 0 : strides[axis - lead]
        }
    }

    /// Applies `transform` to every element; the result is contiguous.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func map(_ transform: (Scalar) -> Scalar) -> Tensor {
        let result = Tensor(shape: shape)
        let source = storage.pointer
        let destination = result.storage.pointer
        StridedLoop(shape: shape, strides: [strides, result.strides]).forEachRow(baseOffsets: [offset, 0]) {
            starts, n, inner in
            var s = starts[0]
            var d = starts[1]
            for _ in 0..<n {
                destination[d] = transform(source[s])
                s += inner[0]
                d += inner[1]
            }
        }
        return result
    }

    /// Combines two tensors elementwise after broadcasting them to a common shape.
    /// - Throws: ``TensorError`` (with `op` in the message) when the shapes do not broadcast.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func zip(
        _ lhs: Tensor, _ rhs: Tensor, op: String = "zip", _ combine: (Scalar, Scalar) -> Scalar
    ) throws -> Tensor {
        let shape = try broadcastShapes(lhs.shape, rhs.shape, op: op)
        let result = Tensor(shape: shape)
        let a = lhs.storage.pointer
        let b = rhs.storage.pointer
        let c = result.storage.pointer
        let loop = StridedLoop(
            shape: shape, strides: [lhs.broadcastStrides(to: shape), rhs.broadcastStrides(to: shape), result.strides])
        loop.forEachRow(baseOffsets: [lhs.offset, rhs.offset, 0]) { starts, n, inner in
            var i = starts[0]
            var j = starts[1]
            var k = starts[2]
            for _ in 0..<n {
                c[k] = combine(a[i], b[j])
                i += inner[0]
                j += inner[1]
                k += inner[2]
            }
        }
        return result
    }

    /// Elementwise sum with broadcasting.
    /// - Throws: ``TensorError`` when the shapes do not broadcast (each trailing pair of extents equal or 1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try zip(lhs, rhs, op: "add", +) }
    /// Elementwise difference with broadcasting.
    /// - Throws: ``TensorError`` when the shapes do not broadcast (each trailing pair of extents equal or 1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try zip(lhs, rhs, op: "subtract", -) }
    /// Elementwise product with broadcasting.
    /// - Throws: ``TensorError`` when the shapes do not broadcast (each trailing pair of extents equal or 1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try zip(lhs, rhs, op: "multiply", *) }
    /// Elementwise quotient with broadcasting.
    /// - Throws: ``TensorError`` when the shapes do not broadcast (each trailing pair of extents equal or 1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try zip(lhs, rhs, op: "divide", /) }

    /// `lhs + rhs` elementwise: `rhs` added to every element; the result is contiguous with `lhs`'s shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 + rhs } }
    /// `lhs − rhs` elementwise: `rhs` subtracted from every element; shape of `lhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 - rhs } }
    /// `lhs · rhs` elementwise: every element scaled by `rhs`; shape of `lhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 * rhs } }
    /// `lhs / rhs` elementwise: every element divided by `rhs`; shape of `lhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.map { $0 / rhs } }
    /// `lhs + rhs` elementwise: `lhs` added to every element of `rhs`; shape of `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
    /// `lhs − rhs` elementwise: every element of `rhs` subtracted from `lhs`; shape of `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
    /// `lhs · rhs` elementwise: every element of `rhs` scaled by `lhs`; shape of `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    /// `lhs / rhs` elementwise: `lhs` divided by every element of `rhs`; shape of `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Scalar, rhs: Tensor) -> Tensor { rhs.map { lhs / $0 } }
    /// `−operand` elementwise (a sign flip, exact); shape of `operand`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    /// `where mask { value } else { self }` — PyTorch's `masked_fill`. `mask` (true = fill)
    /// broadcasts to this tensor's shape.
    /// - Throws: ``TensorError`` when the mask does not broadcast to the tensor's shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maskedFill(_ mask: BoolTensor, with value: Scalar) throws -> Tensor {
        guard let maskStrides = mask.broadcastStrides(to: shape) else {
            throw TensorError(
                op: "maskedFill",
                "mask of shape \(describe(mask.shape)) does not broadcast to the tensor's shape \(describe(shape))")
        }
        let result = materialized()
        let destination = result.storage.pointer
        mask.elements.withUnsafeBufferPointer { flags in
            StridedLoop(shape: shape, strides: [maskStrides, result.strides]).forEachRow(baseOffsets: [0, 0]) {
                starts, n, inner in
                var m = starts[0]
                var d = starts[1]
                for _ in 0..<n {
                    if flags[m] { destination[d] = value }
                    m += inner[0]
                    d += inner[1]
                }
            }
        }
        return result
    }
}
