/// A small row-major array of non-floating-point values — boolean masks and index results
/// (`argmax`). Contiguous and immutable in layout; broadcasting happens where it is used.
///
///     let mayAttend = try BoolTensor(shape: [2, 2], elements: [true, false, true, true])
public struct DenseArray<Element: Sendable & Equatable>: Sendable, Equatable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The elements in row-major order.
    public let elements: [Element]

    /// An array of `shape` holding `elements` in row-major order.
    /// - Throws: ``TensorError`` when `elements.count` is not the product of `shape`.
    public init(shape: [Int], elements: [Element]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.product == elements.count else {
            throw TensorError(
                op: "DenseArray",
                "shape \(describe(shape)) holds \(shape.product) elements but \(elements.count) were given")
        }
        self.shape = shape
        self.elements = elements
    }

    /// An array whose elements are all `value`.
    public init(shape: [Int], repeating value: Element) {
        self.shape = shape
        self.elements = Array(repeating: value, count: shape.product)
    }

    /// The element at a logical multi-index.
    public subscript(_ indices: Int...) -> Element {
        precondition(
            indices.count == shape.count, "DenseArray subscript: \(indices.count) indices for shape \(describe(shape))")
        var position = 0
        for (axis, index) in indices.enumerated() {
            precondition(
                (0..<shape[axis]).contains(index),
                "DenseArray subscript: index \(index) out of range for dimension \(axis) of size \(shape[axis])")
            position = position * shape[axis] + index
        }
        return elements[position]
    }

    /// Row-major strides of this array aligned to `target` (0 where broadcast), or nil when the
    /// shape does not broadcast to `target`.
    func broadcastStrides(to target: [Int]) -> [Int]? {
        guard shape.count <= target.count else { return nil }
        let own = contiguousStrides(for: shape)
        let lead = target.count - shape.count
        var result = Array(repeating: 0, count: target.count)
        for axis in shape.indices {
            if shape[axis] == target[axis + lead] {
                result[axis + lead] = shape[axis] == 1 ? 0 : own[axis]
            } else if shape[axis] != 1 {
                return nil
            }
        }
        return result
    }
}

/// A boolean mask: `true`/`false` per element. Which value means "masked" is stated by the API
/// that takes it (see ``AttentionMask``).
public typealias BoolTensor = DenseArray<Bool>
/// Integer results such as the indices `argmax` returns.
public typealias IndexTensor = DenseArray<Int>
