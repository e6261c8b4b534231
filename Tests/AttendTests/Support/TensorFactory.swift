import Attend
import Testing

/// How a test tensor is laid out in memory; the logical values do not depend on it.
enum Layout: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case contiguous, transposed, strided, expanded, permuted

    var testDescription: String { rawValue }
}

/// Random tensors of a given logical shape in a chosen memory layout — the non-contiguous
/// inputs the cross-checks run on.
struct TensorFactory {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func randn<T: TensorScalar>(_ shape: [Int], _ layout: Layout = .contiguous, as _: T.Type = Float.self)
        -> Tensor<T>
    {
        let rank = shape.count
        switch layout {
        case .contiguous:
            return Tensor<T>.randn(shape, using: &generator)
        case .transposed where rank >= 2:
            var swapped = shape
            swapped.swapAt(rank - 2, rank - 1)
            return Tensor<T>.randn(swapped, using: &generator).transposed(-2, -1)
        case .strided where rank >= 1:
            // Every other element of a wider last dimension, starting at offset 1.
            var wide = shape
            wide[rank - 1] = 2 * shape[rank - 1] + 1
            return try! Tensor<T>.randn(wide, using: &generator).sliced(-1, 1..<1 + 2 * shape[rank - 1], step: 2)
        case .expanded where rank >= 1:
            // The leading dimension is broadcast (stride 0).
            var narrow = shape
            narrow[0] = 1
            return try! Tensor<T>.randn(narrow, using: &generator).expanded(to: shape)
        case .permuted where rank >= 2:
            let reversed = Array(shape.reversed())
            return try! Tensor<T>.randn(reversed, using: &generator).permuted(Array((0..<rank).reversed()))
        default:
            return Tensor<T>.randn(shape, using: &generator)
        }
    }

    /// A random shape of the given rank with sizes in `sizes`.
    mutating func shape(rank: Int, sizes: ClosedRange<Int>) -> [Int] {
        (0..<rank).map { _ in Int.random(in: sizes, using: &generator) }
    }
}

/// `tensor` with `value` written at `index` (a fresh contiguous copy): one poisoned entry for the
/// hostile-number tests.
func poked(_ tensor: Tensor<Float>, _ index: [Int], _ value: Float) throws -> Tensor<Float> {
    var scalars = tensor.scalars
    var flat = 0
    for (axis, i) in index.enumerated() { flat = flat * tensor.shape[axis] + i }
    scalars[flat] = value
    return try Tensor(shape: tensor.shape, scalars: scalars)
}
