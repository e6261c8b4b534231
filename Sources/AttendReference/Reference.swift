/// Namespace of the reference ops. Every op is a static function written straight from the math
/// over logical row-major indices, e.g. `Reference.softmax(x, dim: -1)`.
///
/// Conventions shared by every op:
/// - Semantics follow PyTorch unless a doc comment says otherwise.
/// - Negative dims count from the end (−1 = last).
/// - Shape errors throw ``ReferenceError`` naming the op, the shapes and the rule.
/// - All arithmetic, including accumulation, is done in `Scalar` with plain loops.
public enum Reference {}
