import RealModule

/// The sinusoidal positional encoding of "Attention Is All You Need", `[length, dim]`:
///
///     PE[p, 2i]   = sin(p / 10000^(2i/dim))
///     PE[p, 2i+1] = cos(p / 10000^(2i/dim))
///
/// computed in Double. Add it to token embeddings `[B, L, dim]` (it broadcasts).
public func sinusoidalPositionalEncoding<Scalar: TensorScalar>(length: Int, dim: Int, as _: Scalar.Type = Scalar.self)
    -> Tensor<Scalar>
{
    var values = [Scalar]()
    values.reserveCapacity(length * dim)
    for p in 0..<length {
        for j in 0..<dim {
            let angle = Double(p) / Double.pow(10000, Double(j - j % 2) / Double(dim))
            values.append(Scalar(j % 2 == 0 ? Double.sin(angle) : Double.cos(angle)))
        }
    }
    return try! Tensor(shape: [length, dim], scalars: values)  // count matches by construction
}

/// Learned positional embeddings: a `[maxLength, dim]` table whose first L rows are added to
/// `x [B, L, dim]` (as in BERT and ViT).
public struct LearnedPositionalEmbedding<Scalar: TensorScalar>: Sendable {
    /// The embeddings `[maxLength, dim]`: row p is added to every sequence's position p.
    public var table: Tensor<Scalar>

    /// A layer adding the rows of `table [maxLength, dim]`: `x [B, L, dim]` + `table[0..<L]`.
    /// - Throws: ``TensorError`` when the table is not 2-D.
    public init(table: Tensor<Scalar>) throws {
        guard table.rank == 2 else {
            throw TensorError(
                op: "LearnedPositionalEmbedding", "table must be [maxLength, dim], got \(describe(table.shape))")
        }
        self.table = table
    }

    /// A table drawn from N(0, 1) like nn.Embedding's default.
    public init(maxLength: Int, dim: Int, using generator: inout SeededGenerator) {
        table = .randn([maxLength, dim], using: &generator)
    }

    /// x + table[0..<L] for `x [..., L, dim]`.
    /// - Throws: ``TensorError`` when L exceeds maxLength or the widths differ.
    public func callAsFunction(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard x.rank >= 2, x.shape[x.rank - 1] == table.shape[1], x.shape[x.rank - 2] <= table.shape[0] else {
            throw TensorError(
                op: "LearnedPositionalEmbedding",
                "input \(describe(x.shape)) must be [..., L ≤ \(table.shape[0]), \(table.shape[1])] for a table \(describe(table.shape))"
            )
        }
        return try x + table.narrowed(0, start: 0, length: x.shape[x.rank - 2])
    }
}
