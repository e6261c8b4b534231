import RealModule

/// The element types the reference works in: `Double` (the exact-ish reference) and `Float`
/// (what naive single-precision arithmetic gives).
public typealias ReferenceScalar = Real & BinaryFloatingPoint & Sendable

/// A dense row-major array: the reference's only data type.
///
/// Element `[i0, i1, …, i(n-1)]` lives at `values[i0·s0 + i1·s1 + … + i(n-1)·s(n-1)]` where
/// `s(n-1) = 1` and `sk = s(k+1)·shape[k+1]` (row-major / C order). A rank-0 array (`shape == []`)
/// holds exactly one value.
public struct ReferenceArray<Scalar: ReferenceScalar>: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public var shape: [Int]
    /// The elements in row-major order; `values.count == shape.product` (1 for rank 0).
    public var values: [Scalar]

    /// Wraps `values` (row-major) as an array of the given shape.
    /// - Precondition: every dimension is non-negative and `values.count` equals the product of `shape`.
    public init(shape: [Int], values: [Scalar]) {
        precondition(
            shape.allSatisfy { $0 >= 0 }, "ReferenceArray: shape \(formatShape(shape)) has a negative dimension")
        let expected = elementCount(shape)
        precondition(
            values.count == expected,
            "ReferenceArray: shape \(formatShape(shape)) needs \(expected) values (the product of its dims) but \(values.count) were given"
        )
        self.shape = shape
        self.values = values
    }

    /// An array of the given shape with every element equal to `repeating`.
    public init(shape: [Int], repeating: Scalar) {
        precondition(
            shape.allSatisfy { $0 >= 0 }, "ReferenceArray: shape \(formatShape(shape)) has a negative dimension")
        self.shape = shape
        self.values = [Scalar](repeating: repeating, count: elementCount(shape))
    }

    /// A rank-0 array holding `scalar`.
    public init(scalar: Scalar) {
        self.init(shape: [], values: [scalar])
    }

    /// A rank-1 array holding `values`.
    public init(_ values: [Scalar]) {
        self.init(shape: [values.count], values: values)
    }

    /// A rank-2 array from its rows; all rows must have the same length.
    public init(rows: [[Scalar]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "ReferenceArray(rows:): rows have different lengths")
        self.init(shape: [rows.count, width], values: rows.flatMap { $0 })
    }

    /// The number of elements (the product of `shape`, 1 for rank 0).
    public var count: Int { values.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The row-major strides of `shape` (in elements).
    public var strides: [Int] { rowMajorStrides(shape) }

    /// The element at a logical multi-index (one entry per dimension, each in `0..<shape[k]`).
    public subscript(_ index: [Int]) -> Scalar {
        get { values[flatIndex(index)] }
        set { values[flatIndex(index)] = newValue }
    }

    /// The element at a logical multi-index, written as a variadic list: `a[1, 2]`.
    public subscript(_ index: Int...) -> Scalar {
        get { self[index] }
        set { self[index] = newValue }
    }

    /// The row-major position of a logical multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(
            index.count == shape.count,
            "ReferenceArray: index \(index) has \(index.count) entries but the array has rank \(shape.count) (shape \(formatShape(shape)))"
        )
        var flat = 0
        for k in 0..<shape.count {
            precondition(
                index[k] >= 0 && index[k] < shape[k],
                "ReferenceArray: index \(index) is out of bounds for shape \(formatShape(shape)) (dim \(k))")
            flat = flat * shape[k] + index[k]
        }
        return flat
    }

    /// The same array with every element converted to `T` (e.g. `Double` ↔ `Float`).
    public func converted<T: ReferenceScalar>(to: T.Type) -> ReferenceArray<T> {
        ReferenceArray<T>(shape: shape, values: values.map { T($0) })
    }
}

extension ReferenceArray: CustomStringConvertible {
    /// `ReferenceArray[2, 3]([1.0, 2.0, …])` (at most 16 values are printed).
    public var description: String {
        let shown = values.prefix(16).map { "\($0)" }.joined(separator: ", ")
        let more = values.count > 16 ? ", … (\(values.count) values)" : ""
        return "ReferenceArray\(formatShape(shape))([\(shown)\(more)])"
    }
}

// MARK: - Shape helpers (internal)

/// The number of elements of a shape (1 for rank 0).
func elementCount(_ shape: [Int]) -> Int {
    shape.reduce(1, *)
}

/// Row-major strides of a shape.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for k in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[k] = running
        running *= shape[k]
    }
    return strides
}

/// `[2, 3, 4]`
func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// Maps a possibly negative dimension (−1 = last) to `0..<rank`, or throws naming the op.
func normalizedDim(_ dim: Int, rank: Int, op: String, shape: [Int]) throws -> Int {
    let d = dim < 0 ? dim + rank : dim
    guard d >= 0 && d < rank else {
        throw ReferenceError.invalidArgument(
            op: op,
            message:
                "dim \(dim) is out of range for shape \(formatShape(shape)) of rank \(rank) (dims must be in \(-rank)...\(rank - 1), negative counts from the end)"
        )
    }
    return d
}

/// Visits every multi-index of `shape` in row-major order.
func forEachIndex(_ shape: [Int], _ body: ([Int]) throws -> Void) rethrows {
    let total = elementCount(shape)
    if total == 0 { return }
    var index = [Int](repeating: 0, count: shape.count)
    for _ in 0..<total {
        try body(index)
        var k = shape.count - 1
        while k >= 0 {
            index[k] += 1
            if index[k] < shape[k] { break }
            index[k] = 0
            k -= 1
        }
    }
}
