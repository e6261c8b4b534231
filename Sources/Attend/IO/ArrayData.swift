/// A decoded n-d array exactly as it was stored: shape, element type and little-endian C-order bytes.
///
/// Invariant (checked by `init(shape:dtype:bytes:)` and again by every writer):
/// `bytes.count == shape.product * dtype.byteWidth`, with every extent ≥ 0. A 0-d array has
/// `shape == []` and one element; an array with a 0 extent has no bytes.
public struct ArrayData: Sendable, Equatable {
    /// Extents, outermost first. `[]` for a 0-d (scalar) array.
    public var shape: [Int]
    /// Element type of `bytes`.
    public var dtype: DType
    /// Elements in C (row-major) order, each `dtype.byteWidth` bytes, little-endian.
    public var bytes: [UInt8]

    /// Wraps raw bytes, checking that their count matches `shape` and `dtype`.
    /// - Throws: `FileFormatError` (kind `.invalidArgument`, file `"ArrayData"`) if an extent is
    ///   negative, the size overflows, or `bytes.count` is not `shape.product * dtype.byteWidth`.
    public init(shape: [Int], dtype: DType, bytes: [UInt8]) throws {
        if let problem = ArrayData.consistencyProblem(shape: shape, dtype: dtype, byteCount: bytes.count) {
            throw FileFormatError.invalidArgument("ArrayData", problem)
        }
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }

    /// A `float32` array. `values.count` must equal the product of `shape` (a programming error otherwise).
    public init(shape: [Int], float32 values: [Float]) {
        ArrayData.precondition(shape: shape, count: values.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values { LittleEndianBytes.append(value.bitPattern, to: &bytes) }
        self.init(unchecked: shape, dtype: .float32, bytes: bytes)
    }

    /// A `float64` array. `values.count` must equal the product of `shape` (a programming error otherwise).
    public init(shape: [Int], float64 values: [Double]) {
        ArrayData.precondition(shape: shape, count: values.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for value in values { LittleEndianBytes.append(value.bitPattern, to: &bytes) }
        self.init(unchecked: shape, dtype: .float64, bytes: bytes)
    }

    /// A `bool` array stored as one byte per element (0 or 1). `values.count` must equal the product
    /// of `shape` (a programming error otherwise).
    public init(shape: [Int], bool values: [Bool]) {
        ArrayData.precondition(shape: shape, count: values.count)
        self.init(unchecked: shape, dtype: .bool, bytes: values.map { $0 ? 1 : 0 })
    }

    /// Number of elements: the product of `shape` (1 for a 0-d array).
    public var elementCount: Int {
        guard let count = ShapeArithmetic.elementCount(shape) else {
            preconditionFailure("ArrayData shape \(describe(shape)) is invalid")
        }
        return count
    }

    // MARK: Internal

    /// For decoders that have already validated the sizes.
    init(unchecked shape: [Int], dtype: DType, bytes: [UInt8]) {
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }

    /// Describes why `byteCount` bytes cannot hold `shape` of `dtype`, or `nil` if they can.
    static func consistencyProblem(shape: [Int], dtype: DType, byteCount: Int) -> String? {
        let described = describe(shape)
        if let negative = shape.first(where: { $0 < 0 }) {
            return "shape \(described) has a negative extent \(negative)"
        }
        guard let needed = ShapeArithmetic.byteCount(shape: shape, width: dtype.byteWidth) else {
            return "shape \(described) of \(dtype.rawValue) is too large to address"
        }
        if needed != byteCount {
            return "shape \(described) of \(dtype.rawValue) needs \(needed) bytes but \(byteCount) were given"
        }
        return nil
    }

    /// Checks the invariant for a writer; `name` is the array's name in error messages.
    func validate(file: String, name: String) throws {
        if let problem = ArrayData.consistencyProblem(shape: shape, dtype: dtype, byteCount: bytes.count) {
            throw FileFormatError.invalidArgument(file, "array \"\(name)\": \(problem)")
        }
    }

    private static func precondition(shape: [Int], count: Int) {
        let expected = ShapeArithmetic.elementCount(shape)
        Swift.precondition(
            expected == count,
            "shape \(describe(shape)) needs \(expected.map(String.init) ?? "an impossible number of") values, got \(count)"
        )
    }
}
