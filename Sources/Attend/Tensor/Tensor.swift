/// A strided n-dimensional array of `Float` or `Double`: a value type over a copy-on-write
/// buffer, described by `shape`, `strides` (in elements) and an `offset` into the buffer.
///
/// Views — ``transposed(_:_:)``, ``permuted(_:)-([Int])``, ``view(_:)-([Int])``, ``expanded(to:)``,
/// ``narrowed(_:start:length:)``, ``unfolded(_:size:step:)`` … — share the buffer and only
/// change the strides, exactly like PyTorch's; ``contiguous()`` copies into row-major order
/// when (and only when) the strides are not already row-major.
///
///     let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)   // [B, H, L, D]
///     let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)   // [B, H, L, D]
///     let scores = try matmul(q, k.transposed(-2, -1))                 // [B, H, L, L], no copy of k
///
/// Dimensions may be negative everywhere (`-1` is the last). Operations that a user's data can
/// make invalid throw ``TensorError`` naming the op, the shapes and the rule.
public struct Tensor<Scalar: TensorScalar>: Sendable {
    var storage: TensorStorage<Scalar>
    /// The size of each dimension.
    public private(set) var shape: [Int]
    /// The distance, in elements, between neighbours along each dimension (0 for a
    /// broadcast dimension, possibly smaller than the row length for `unfolded` windows).
    public private(set) var strides: [Int]
    /// Where element `[0, 0, …]` lives in the buffer, in elements.
    public private(set) var offset: Int

    init(storage: TensorStorage<Scalar>, shape: [Int], strides: [Int], offset: Int) {
        precondition(shape.count == strides.count, "Tensor: shape \(shape) and strides \(strides) differ in rank")
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new contiguous tensor whose elements are all `value`.
    public init(shape: [Int], repeating value: Scalar = 0) {
        let count = Tensor.contiguousCount(shape, "Tensor(shape:)")
        let storage = TensorStorage<Scalar>(zeroedCount: count)
        if value != 0 { storage.pointer.update(repeating: value, count: storage.count) }
        self.init(storage: storage, shape: shape, strides: contiguousStrides(for: shape), offset: 0)
    }

    /// A contiguous tensor whose elements are not initialized: only for code that writes every
    /// element before the tensor is read or returned (see `TensorStorage(uninitializedCount:)`).
    init(uninitializedShape shape: [Int]) {
        let count = Tensor.contiguousCount(shape, "Tensor(uninitializedShape:)")
        self.init(
            storage: TensorStorage<Scalar>(uninitializedCount: count), shape: shape,
            strides: contiguousStrides(for: shape), offset: 0)
    }

    /// The element count of a new contiguous tensor of `shape`; a negative extent or an overflowing
    /// count is a precondition failure of `initializer` (the throwing initializers check first).
    private static func contiguousCount(_ shape: [Int], _ initializer: String) -> Int {
        precondition(shape.allSatisfy { $0 >= 0 }, "\(initializer): negative dimension in \(shape)")
        guard let count = ShapeArithmetic.elementCount(shape) else {
            preconditionFailure(
                "\(initializer): the element count of \(shape) overflows Int; use Tensor(shape:scalars:), which throws")
        }
        return count
    }

    /// A new contiguous tensor from row-major `scalars`.
    /// - Throws: ``TensorError`` when `scalars.count` is not the product of `shape`.
    public init(shape: [Int], scalars: [Scalar]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError(op: "Tensor", "shape \(describe(shape)) has a negative dimension")
        }
        let count = try checkedElementCount(shape, op: "Tensor")
        guard count == scalars.count else {
            throw TensorError(
                op: "Tensor",
                "shape \(describe(shape)) holds \(count) elements but \(scalars.count) scalars were given")
        }
        self.init(storage: TensorStorage(scalars), shape: shape, strides: contiguousStrides(for: shape), offset: 0)
    }

    /// A rank-0 tensor holding one value.
    public init(_ value: Scalar) {
        self.init(shape: [], repeating: value)
    }

    /// A rank-1 tensor from an array: `Tensor([10, 20, 30])`.
    public init(_ scalars: [Scalar]) {
        self.init(storage: TensorStorage(scalars), shape: [scalars.count], strides: [1], offset: 0)
    }

    /// A rank-2 tensor from rows of equal length.
    /// - Throws: ``TensorError`` when the rows differ in length.
    public init(rows: [[Scalar]]) throws {
        let width = rows.first?.count ?? 0
        guard let bad = rows.firstIndex(where: { $0.count != width }) else {
            try self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
            return
        }
        throw TensorError(op: "Tensor", "row \(bad) has \(rows[bad].count) elements but row 0 has \(width)")
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements (1 for rank 0).
    public var count: Int { shape.product }

    /// Whether the elements are laid out in row-major order with no gaps, so the tensor can be
    /// handed to code that expects a plain buffer.
    public var isContiguous: Bool {
        var expected = 1
        for axis in shape.indices.reversed() where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// Whether `self` and `other` read the same buffer — how tests prove a view made no copy.
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// The element at a logical multi-index.
    public subscript(_ indices: Int...) -> Scalar {
        get { self[indices] }
        set { self[indices] = newValue }
    }

    /// The element at a logical multi-index given as an array.
    public subscript(_ indices: [Int]) -> Scalar {
        get { storage.pointer[elementOffset(indices)] }
        set {
            makeUniqueAndWritable()
            storage.pointer[elementOffset(indices)] = newValue
        }
    }

    func elementOffset(_ indices: [Int]) -> Int {
        precondition(
            indices.count == rank,
            "Tensor subscript: \(indices.count) indices given for a tensor of shape \(describe(shape))")
        var position = offset
        for axis in indices.indices {
            precondition(
                (0..<shape[axis]).contains(indices[axis]),
                "Tensor subscript: index \(indices[axis]) out of range for dimension \(axis) of size \(shape[axis])")
            position += indices[axis] * strides[axis]
        }
        return position
    }

    /// The elements in logical row-major order (a copy).
    public var scalars: [Scalar] {
        let dense = contiguous()
        return withExtendedLifetime(dense) {
            Array(UnsafeBufferPointer(start: dense.storage.pointer + dense.offset, count: dense.count))
        }
    }

    /// `self` if it is already row-major, otherwise a row-major copy.
    public func contiguous() -> Tensor {
        isContiguous ? self : materialized()
    }

    /// Always copies into a fresh row-major buffer.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func materialized() -> Tensor {
        var result = Tensor(uninitializedShape: shape)  // every element is written below
        let destination = result.storage.pointer
        let source = storage.pointer
        let loop = StridedLoop(shape: shape, strides: [strides, result.strides])
        loop.forEachRow(baseOffsets: [offset, 0]) { starts, n, inner in
            if inner[0] == 1 {  // a unit-stride run (a bias row, a head's features): one memcpy
                (destination + starts[1]).initialize(from: source + starts[0], count: n)
                return
            }
            var s = starts[0]
            var d = starts[1]
            for _ in 0..<n {
                destination[d] = source[s]
                s += inner[0]
                d += inner[1]
            }
        }
        result.offset = 0
        return result
    }

    /// Makes the buffer safe to write: unique (copy-on-write) and with no element aliased by
    /// another logical index (an expanded or overlapping view is materialized first).
    mutating func makeUniqueAndWritable() {
        if !isKnownUniquelyReferenced(&storage) || hasAliasedElements {
            self = materialized()
        }
    }

    /// True when two logical indices can map to one element (stride 0 or overlapping windows).
    var hasAliasedElements: Bool {
        var reach = 0
        for axis in shape.indices.sorted(by: { Swift.abs(strides[$0]) < Swift.abs(strides[$1]) }) where shape[axis] > 1
        {
            if Swift.abs(strides[axis]) <= reach { return true }
            reach += Swift.abs(strides[axis]) * (shape[axis] - 1)
        }
        return false
    }

    /// Read access to a contiguous tensor's elements (row-major), copying first if needed.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        let dense = contiguous()
        return try withExtendedLifetime(dense.storage) {
            try body(UnsafeBufferPointer(start: dense.storage.pointer + dense.offset, count: dense.count))
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor<Float>[2, 3] [[1, 2, 3], [4, 5, 6]]` (long tensors are elided).
    public var description: String {
        let values = scalars
        func render(_ axis: Int, _ start: Int) -> String {
            if axis == rank { return "\(values[start])" }
            let step = shape[(axis + 1)...].reduce(1, *)
            let n = shape[axis]
            let shown = n > 8 ? Array(0..<3) + [-1] + Array((n - 3)..<n) : Array(0..<n)
            return "[" + shown.map { $0 < 0 ? "…" : render(axis + 1, start + $0 * step) }.joined(separator: ", ") + "]"
        }
        return "Tensor<\(Scalar.scalarName)>\(describe(shape)) " + (count == 0 ? "[]" : render(0, 0))
    }
}

extension Tensor: Equatable {
    /// Equal when the shapes match and every element compares equal (NaN ≠ NaN).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}
