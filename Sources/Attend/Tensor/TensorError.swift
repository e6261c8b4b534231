/// An error a user's data can cause: a shape that does not fit, a bad dimension, a bad
/// equation. The message names the op, the operands and the rule, like a compiler message:
///
///     matmul: cannot multiply [320, 2048] by [256, 256]: inner dimensions 2048 and 256 differ
public struct TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation that refused the input (`"matmul"`, `"einsum"`, `"view"` …).
    public let op: String
    /// What was wrong and what the rule is.
    public let message: String

    /// An error from `op` with `message` saying what was wrong and the rule (both shapes, as
    /// ``formatShape(_:separator:)`` prints them).
    public init(op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    /// `"<op>: <message>"`, e.g. `matmul: cannot multiply [320, 2048] by [256, 256]: …`.
    public var description: String { "\(op): \(message)" }
}

/// Formats a shape the way messages print it: `[2, 4, 10, 32]` (with `separator: ","`,
/// `[2,4,10,32]`). The one shape formatter of Attend; ``formatShape(_:separator:)`` is its public name.
func describe(_ shape: [Int], separator: String = ", ") -> String {
    "[" + shape.map(String.init).joined(separator: separator) + "]"
}

/// Formats a shape as Attend's messages print it: `[2, 4, 10, 32]`, or `[2,4,10,32]` with
/// `separator: ","`.
public func formatShape(_ shape: [Int], separator: String = ", ") -> String { describe(shape, separator: separator) }

/// Resolves a possibly negative dimension (`-1` = last) against a rank, or throws.
func normalizedDim(_ dim: Int, rank: Int, op: String) throws -> Int {
    // A rank-0 tensor accepts 0 and -1, as in PyTorch.
    let bound = max(rank, 1)
    let resolved = dim < 0 ? dim + bound : dim
    guard (0..<bound).contains(resolved) else {
        throw TensorError(
            op: op,
            "dimension \(dim) is out of range for a tensor of rank \(rank) (valid: \(-bound) ... \(bound - 1))")
    }
    return resolved
}

extension Array where Element == Int {
    /// The product of the elements (1 for an empty array): an element count.
    var product: Int { reduce(1, *) }
}

/// The element count of a user-given `shape`, or a ``TensorError`` (op `op`) when it overflows
/// `Int` — an error, not an arithmetic trap, in every build configuration.
func checkedElementCount(_ shape: [Int], op: String) throws -> Int {
    guard let count = ShapeArithmetic.elementCount(shape) else {
        throw TensorError(
            op: op,
            "shape \(describe(shape)) has more elements than Int can count (the product of its nonzero sizes, which its strides need, overflows)"
        )
    }
    return count
}
