import Attend
import AttendModels
import Foundation
import Testing

@Suite("all-MiniLM-L6-v2 sentence embeddings against the NumPy reference", .serialized)
struct SentenceEmbeddingTests {
    @Test("every fixture embedding is within 1e-4 max abs and cosine ≥ 0.99999 of the float64 reference")
    func embeddingsMatchReference() throws {
        let fixture = try MiniLMFixture.load()
        let embedder = try MiniLMModel.embedder()
        // Packed batches of at most 64 tokens: several sentences per batch, the truncated
        // 256-token input alone.
        let got = try embedder.embed(fixture.cases.map(\.text), batchTokens: 64)
        for (c, e) in zip(fixture.cases, got) {
            try #require(e.count == c.embedding.count, "width of \(c.text.debugDescription)")
            let maxAbs = zip(e, c.embedding).map { abs(Double($0) - $1) }.max() ?? .infinity
            let cosine = SemanticSearch.cosine(e, c.embedding.map(Float.init))
            #expect(maxAbs <= 1e-4, "max |Δ| \(maxAbs) for \(c.text.debugDescription)")
            #expect(cosine >= 0.99999, "cosine \(cosine) for \(c.text.debugDescription)")
        }
    }

    @Test("a sentence's embedding does not depend on its batch (within the documented bound)")
    func batchInvariance() throws {
        let fixture = try MiniLMFixture.load()
        let embedder = try MiniLMModel.embedder()
        let texts = fixture.cases.map(\.text)
        let alone = try texts.map { try embedder.embed([$0])[0] }
        // All but the longest in one batch, every text in batches of ≤ 40 tokens (different
        // neighbours and row offsets), and each text next to the longest one.
        let long = texts.indices.max { texts[$0].count < texts[$1].count }!
        let others = texts.indices.filter { $0 != long }
        let together = try embedder.embed(others.map { texts[$0] }, batchTokens: 100_000)
        let small = try embedder.embed(texts, batchTokens: 40)
        let paired = try others.map { try embedder.embed([texts[long], texts[$0]], batchTokens: 100_000)[1] }
        var worst: Float = 0
        for (variant, indices) in [(together, others), (small, Array(texts.indices)), (paired, others)] {
            for (a, i) in zip(variant, indices) {
                worst = max(worst, zip(a, alone[i]).map { abs($0 - $1) }.max()!)
            }
        }
        #expect(worst <= SentenceEmbedder.batchInvarianceBound, "largest batched-vs-alone difference \(worst)")
    }

    @Test("semantic search ranks the corpus in the reference's order")
    func searchOrder() throws {
        let fixture = try MiniLMFixture.load()
        let embedder = try MiniLMModel.embedder()
        let corpus = try embedder.embed(fixture.search.corpus)
        let query = try embedder.embed(fixture.search.query)
        let ranked = SemanticSearch.rank(query: query, corpus: corpus, top: corpus.count)
        #expect(ranked.map(\.index) == fixture.search.order)
        for (match, expected) in zip(ranked, fixture.search.scores) {
            #expect(abs(Double(match.score) - expected) <= 1e-4)
        }
        #expect(
            SemanticSearch.rank(query: query, corpus: corpus, top: 3).map(\.index)
                == Array(fixture.search.order.prefix(3)))
    }

    @Test("the configuration comes from the folder's files")
    func configuration() throws {
        let c = try BertConfiguration(directory: MiniLMModel.requireDirectory())
        #expect(c.hiddenSize == 384 && c.layerCount == 6 && c.headCount == 12 && c.intermediateSize == 1536)
        #expect(c.layerNormEps == 1e-12 && c.activation == .gelu && c.pooling == .mean && c.normalize)
        #expect(c.maxSequenceLength == 256)
    }
}
