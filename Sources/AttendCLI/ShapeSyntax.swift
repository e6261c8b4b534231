import Attend

/// An operand written on the command line as a shape: `2x4x10x32` (or `2,4,10,32`), optionally
/// followed by `^T`, `.T` or `ᵀ` — the transposed view (last two dimensions swapped, strides
/// swapped, no copy) of a contiguous tensor of the written shape, like `k.transposed(-2, -1)`.
///
///     "2x4x10x32"     → [2, 4, 10, 32], row-major strides
///     "2x4x10x32^T"   → [2, 4, 32, 10] with strides [1280, 320, 1, 32]
struct ShapeOperand: CustomStringConvertible {
    /// The shape as written (the contiguous tensor's shape).
    let storedShape: [Int]
    /// Whether the operand is the transposed view of the stored tensor.
    let transposed: Bool

    /// Parses `text`; the error message says what the syntax is.
    init(parsing text: String) throws(ShapeSyntaxError) {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var transposed = false
        for suffix in ["^T", ".T", "ᵀ", "^t", ".t"] where body.hasSuffix(suffix) {
            body = body.dropLast(suffix.count)
            transposed = true
            break
        }
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        let separators: Set<Character> = ["x", "X", ",", "×"]
        let parts = body.split(omittingEmptySubsequences: false, whereSeparator: { separators.contains($0) })
        let sizes = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !body.isEmpty, sizes.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw ShapeSyntaxError(
                text: text,
                reason: "expected non-negative sizes separated by 'x', such as 2x4x10x32, optionally followed by ^T")
        }
        if transposed, sizes.count < 2 {
            throw ShapeSyntaxError(
                text: text, reason: "^T swaps the last two dimensions, so the shape needs at least two")
        }
        storedShape = sizes.map { $0! }
        self.transposed = transposed
    }

    init(shape: [Int], transposed: Bool = false) {
        storedShape = shape
        self.transposed = transposed
    }

    /// The same operand with (another) transpose applied.
    var toggledTranspose: ShapeOperand { ShapeOperand(shape: storedShape, transposed: !transposed) }

    /// The logical shape and strides the op sees.
    var layout: TensorLayout {
        let contiguous = TensorLayout(contiguous: storedShape)
        guard transposed else { return contiguous }
        var shape = contiguous.shape
        var strides = contiguous.strides
        shape.swapAt(shape.count - 2, shape.count - 1)
        strides.swapAt(strides.count - 2, strides.count - 1)
        return TensorLayout(shape: shape, strides: strides)
    }

    /// `[2, 4, 32, 10] strides [1280, 320, 1, 32] (transposed view of a contiguous [2, 4, 10, 32])`
    var description: String {
        let layout = self.layout
        let note = transposed ? "transposed view of a contiguous \(formatShape(storedShape))" : "contiguous"
        return "\(formatShape(layout.shape)) strides \(formatShape(layout.strides)) (\(note))"
    }
}

/// A shape that does not follow the syntax.
struct ShapeSyntaxError: Error, CustomStringConvertible {
    let text: String
    let reason: String

    var description: String { "shape \"\(text)\": \(reason)" }
}
