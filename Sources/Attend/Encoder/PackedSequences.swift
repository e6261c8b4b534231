/// A batch of variable-length sequences packed along the token axis, with no padding:
///
///     tokens [T, E],  T = Σₛ lengths[s];  sequence s owns rows offsets[s] ..< offsets[s + 1]
///
/// the layout FlashAttention and text-embeddings-inference call "varlen". Projections and the
/// feed-forward run once over all T rows; attention runs per sequence on its own length.
public struct PackedSequences: Sendable, Equatable {
    /// The tokens of each sequence, in order (each ≥ 1).
    public let lengths: [Int]
    /// `offsets[s]` is the first row of sequence s; `offsets[count]` is the token count T.
    public let offsets: [Int]

    /// Packs sequences of the given lengths.
    /// - Throws: ``TensorError`` when there is no sequence or a length is not positive.
    public init(lengths: [Int]) throws {
        guard !lengths.isEmpty else {
            throw TensorError(op: "PackedSequences", "needs at least one sequence")
        }
        if let bad = lengths.firstIndex(where: { $0 < 1 }) {
            throw TensorError(
                op: "PackedSequences",
                "sequence \(bad) has length \(lengths[bad]); every sequence needs at least one token")
        }
        self.lengths = lengths
        var offsets = [0]
        offsets.reserveCapacity(lengths.count + 1)
        for length in lengths { offsets.append(offsets[offsets.count - 1] + length) }
        self.offsets = offsets
    }

    /// The number of sequences.
    public var count: Int { lengths.count }

    /// The number of rows T = Σ lengths.
    public var tokenCount: Int { offsets[lengths.count] }

    /// The rows of sequence `s`.
    public func rows(of s: Int) -> Range<Int> { offsets[s]..<offsets[s + 1] }
}
