/// An error thrown by a `Reference` op for a bad shape, a bad argument or a bad einsum equation.
///
/// `description` reads `"<op>: <what is wrong, naming the shapes and the rule>"`, e.g.
/// `matmul: a [2, 3] and b [4, 5] cannot be multiplied: a.shape[-1] (3) must equal b.shape[-2] (4)`.
public enum ReferenceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Operand shapes that the op's rule does not accept.
    case shapeMismatch(op: String, message: String)
    /// A bad non-shape argument: a dim out of range, a non-positive stride, …
    case invalidArgument(op: String, message: String)
    /// A malformed or inconsistent einsum equation (the op is always `einsum`).
    case invalidEquation(message: String)

    /// The op that threw.
    public var op: String {
        switch self {
        case .shapeMismatch(let op, _), .invalidArgument(let op, _): return op
        case .invalidEquation: return "einsum"
        }
    }

    /// The explanation, without the op name.
    public var message: String {
        switch self {
        case .shapeMismatch(_, let message), .invalidArgument(_, let message), .invalidEquation(let message):
            return message
        }
    }

    /// `"<op>: <message>"`.
    public var description: String { "\(op): \(message)" }
}
