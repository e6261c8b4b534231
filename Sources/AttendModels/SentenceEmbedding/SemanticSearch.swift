/// Semantic search over a corpus of embeddings by cosine similarity:
///
///     score(i) = ⟨q, cᵢ⟩ / (‖q‖·‖cᵢ‖)        accumulated in Double
///
/// ranked by descending score, ties by corpus position.
public enum SemanticSearch {
    /// One ranked passage: where it is in the corpus and its cosine similarity to the query.
    public struct Match: Sendable, Equatable {
        /// The passage's position in the corpus.
        public var index: Int
        /// `⟨q, cᵢ⟩ / (‖q‖·‖cᵢ‖)` in [−1, 1], computed in Double and rounded to Float.
        public var score: Float
    }

    /// The `top` best matches of `query` in `corpus` (all of them when `top` ≥ corpus size).
    /// - Precondition: every vector has the query's width (the caller checks user data first).
    public static func rank(query: [Float], corpus: [[Float]], top: Int) -> [Match] {
        let scores = corpus.map { cosine(query, $0) }
        let order = scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }
        return order.prefix(max(0, top)).map { Match(index: $0, score: Float(scores[$0])) }
    }

    /// The cosine similarity of two vectors of one width (0 when either is zero).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "SemanticSearch.cosine: widths \(a.count) and \(b.count) differ")
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for i in a.indices {
            let (x, y) = (Double(a[i]), Double(b[i]))
            dot += x * y
            aa += x * x
            bb += y * y
        }
        let denominator = (aa * bb).squareRoot()
        return denominator == 0 ? 0 : dot / denominator
    }
}
