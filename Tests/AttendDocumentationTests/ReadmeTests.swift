import Attend
import AttendModels
import AttendReference
import AttendVerification
import Foundation
import Testing

/// The Swift examples of README.md, run (scripts/check_doc_snippets.py keeps the README's blocks
/// identical to these regions). Expected values: the NumPy fixture's output (written by
/// scripts/make_fixtures.py from its own float64 attention) and AttendReference.
@Suite("README examples")
struct ReadmeTests {
    @Test("load .npy files, run multi-head attention, compare with the reference: within 1e-6")
    func example() throws {
        // snippet: readme-example
        let folder = URL(fileURLWithPath: "Tests/Fixtures/numeric/mha_key_padding")  // scripts/make_fixtures.py
        func file(_ name: String) -> URL { folder.appendingPathComponent(name) }
        let query = try Tensor<Float>(contentsOf: file("query.npy"))  // [B, Lq, E] = [2, 4, 12]
        let key = try Tensor<Float>(contentsOf: file("key.npy"))  // [B, Lk, E] = [2, 5, 12]
        let value = try Tensor<Float>(contentsOf: file("value.npy"))  // [B, Lk, E] = [2, 5, 12]
        let padding = try BoolTensor(NPY.read(contentsOf: file("key_padding_mask.npy")), name: "padding")  // [B, Lk]
        let state = try readTensors(contentsOf: file("weights.safetensors"), as: Float.self)  // PyTorch names
        let mha = try MultiHeadAttention(stateDict: state, numHeads: 3)  // nn.MultiheadAttention(12, 3)'s weights
        let mask = AttentionMask<Float>.keyPadding(padding)  // true = ignore that key
        let out = try mha(query: query, key: key, value: value, mask: mask).output  // [2, 4, 12]: Float, sgemm
        let exact = try Reference.multiHeadAttention(  // [2, 4, 12]: Double, plain loops, no shared code
            query: query.reference, key: key.reference, value: value.reference,
            weights: mha.referenceWeights(Double.self), mask: mask.reference(Double.self)
        ).output
        let worst = zip(out.scalars, exact.values).map { abs(Double($0) - $1) }.max()!  // ≈ 1e-7
        // snippet-end
        #expect(out.shape == [2, 4, 12] && exact.shape == [2, 4, 12])
        #expect(worst < 1e-6 && worst > 0)
        // The fixture's own float64 output agrees too.
        let numpy = try NPY.read(contentsOf: folder.appendingPathComponent("out.npy"))
        let expected = try Tensor<Double>(numpy, name: "out.npy")
        #expect(zip(out.scalars, expected.scalars).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test("the sentence-embedding example: unit vectors, the kitten passage first, the tokenizer's ids")
    func embeddings() throws {
        try #require(
            FileManager.default.fileExists(
                atPath: ModelCache.directory(for: "minilm").appendingPathComponent("model.safetensors").path),
            "all-MiniLM-L6-v2 is missing: run `python3 scripts/fetch_model.py minilm` (scripts/test does)")
        // snippet: readme-embeddings
        let embedder = try SentenceEmbedder(cached: "minilm")  // or SentenceEmbedder(directory: url)
        let vectors = try embedder.embed(["A man saw a person.", "My cat is lovely."])  // [[Float]], 384-d, ‖v‖ = 1
        let passages = ["Stock markets fell sharply on Monday.", "Kittens love to play with balls of yarn."]
        let corpus = try embedder.embed(passages)  // packed batches of ≤ 2,048 tokens, no padding
        let best = SemanticSearch.rank(query: try embedder.embed("who chases string?"), corpus: corpus, top: 1)
        let ids = embedder.tokenizer.tokenize("Héllo, wörld!").ids  // [101, 7592, 1010, 2088, 999, 102]
        // snippet-end
        #expect(vectors.count == 2 && vectors.allSatisfy { $0.count == 384 })
        #expect(vectors.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5 })
        #expect(best.map(\.index) == [1])
        // The NumPy reference tokenizes "Héllo, Wörld! …" as [101, 7592, 1010, 2088, 999, …].
        #expect(ids == [101, 7592, 1010, 2088, 999, 102])
    }
}
