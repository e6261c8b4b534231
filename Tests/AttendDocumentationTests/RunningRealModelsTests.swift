import Attend
import AttendModels
import Foundation
import Testing

/// The snippets of `RunningRealModels.md` (the AttendModels catalog), run on the fetched models
/// (`python3 scripts/fetch_model.py --all`, which scripts/test runs first; a missing model FAILS
/// these tests with that command). Expected values: the NumPy references' fixtures
/// (Tests/Fixtures/models/minilm.json, smollm2.json) and hand-computed averages.
@Suite("Article: Running real models", .serialized)
struct RunningRealModelsTests {
    struct MiniLMFixture: Decodable {
        struct Search: Decodable {
            let corpus: [String]
            let query: String
            let order: [Int]
        }
        struct Attention: Decodable {
            let weights: [[[Double]]]
        }
        let search: Search
        let attention: Attention
    }
    struct SmolLM2Fixture: Decodable {
        struct Greedy: Decodable {
            let prompt: String
            let promptIDs: [Int]
            let generatedIDs: [Int]
            enum CodingKeys: String, CodingKey {
                case prompt
                case promptIDs = "prompt_ids"
                case generatedIDs = "generated_ids"
            }
        }
        let greedy: [Greedy]
    }

    static func fixture<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/\(name).json")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static func requireModels() throws {
        let minilm = ModelCache.directory(for: "minilm").appendingPathComponent("model.safetensors")
        try #require(
            FileManager.default.fileExists(atPath: minilm.path),
            "all-MiniLM-L6-v2 is missing: run `python3 scripts/fetch_model.py --all` (scripts/test does)")
        try #require(
            FileManager.default.fileExists(atPath: SmolLM2Location.modelURL.path),
            "SmolLM2 is missing: run `\(SmolLM2Location.fetchCommand)` (scripts/test does)")
    }

    @Test("embeddings: tokens, hidden states [1, L, 384], unit vectors; cats are closer to felines than to a man")
    func embeddings() throws {
        try Self.requireModels()
        // snippet: models-embed
        let embedder = try SentenceEmbedder(cached: "minilm")  // ~/.cache/attend/models/minilm
        let tokens = embedder.tokenizer.tokenize("My cat is a lovely cat.")  // ids and WordPiece tokens
        let hidden = try embedder.encoder([tokens.ids])  // [1, 9, 384]: 6 post-norm encoder layers
        let vectors = try embedder.embed(["A man saw a person.", "My cat is lovely.", "Felines are independent."])
        let catFeline = SemanticSearch.cosine(vectors[1], vectors[2])  // mean-pooled, ‖v‖ = 1: a dot product
        let catMan = SemanticSearch.cosine(vectors[1], vectors[0])  // smaller
        // snippet-end
        #expect(tokens.tokens == ["[CLS]", "my", "cat", "is", "a", "lovely", "cat", ".", "[SEP]"])
        #expect(hidden.shape == [1, 9, 384])
        for v in vectors { #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
        #expect(catFeline > catMan)
    }

    @Test("semantic search ranks the passages in the NumPy reference's order")
    func search() throws {
        try Self.requireModels()
        let embedder = try SentenceEmbedder(cached: "minilm")
        let fixture = try Self.fixture("minilm", as: MiniLMFixture.self).search
        // snippet: models-search
        let passages = [
            "The cat sits on the mat and purrs.", "A dog is running in the park.",
            "Stock markets fell sharply on Monday.", "Kittens love to play with balls of yarn.",
        ]
        let corpus = try embedder.embed(passages)  // 4 × [384]: sorted by length, batched, padding masked
        let query = try embedder.embed("Which animals like to chase string?")  // [384]
        let best = SemanticSearch.rank(query: query, corpus: corpus, top: 2)  // kittens (3), then the dog (1)
        // snippet-end
        // The reference's order over its corpus, restricted to these four passages.
        let indices = passages.map { fixture.corpus.firstIndex(of: $0)! }
        let expected = fixture.order.filter(indices.contains).map { indices.firstIndex(of: $0)! }
        #expect(query.count == 384 && corpus.count == 4)
        #expect(best.map(\.index) == Array(expected.prefix(2)))
        #expect(best.map(\.index) == [3, 1])
    }

    @Test("one layer's attention weights: head 11 of layer 5 sends 'it' to 'cat', as the reference does")
    func attention() throws {
        try Self.requireModels()
        let embedder = try SentenceEmbedder(cached: "minilm")
        let reference = try Self.fixture("minilm", as: MiniLMFixture.self).attention.weights
        // snippet: models-attention
        let ids = embedder.tokenizer.encode("The cat sat on the mat because it was tired.")  // 13 ids
        let weights = try embedder.encoder.attentionWeights(ids, layer: 5)  // [12, 13, 13]: every head
        let itToCat = weights[11, 8, 2]  // head 11, query "it" (8), key "cat" (2): 0.71
        // snippet-end
        #expect(weights.shape == [12, 13, 13])
        #expect(abs(Double(itToCat) - reference[11][8][2]) < 1e-5)
        #expect(abs(itToCat - 0.71) < 0.01)
    }

    @Test("the end-aligned causal mask: new queries see the whole cache; top-left alignment would not")
    func causalFromEnd() throws {
        // snippet: models-causal-from-end
        let q = Tensor<Float>.zeros([1, 1, 2, 4])  // [B, H, Lq = 2 new positions, D]: equal scores
        let k = Tensor<Float>.zeros([1, 1, 5, 4])  // [B, H, Lk = 3 cached + 2 new, D]
        let v = try Tensor<Float>(shape: [1, 1, 5, 1], scalars: [1, 2, 3, 4, 5])  // [B, H, Lk, 1]
        let fromEnd = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causalFromEnd)
            .output  // [1, 1, 2, 1]: 2.5 = mean of keys 0…3, 3 = mean of keys 0…4
        let topLeft = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal)
            .output  // [1, 1, 2, 1]: 1 and 1.5 — keys 0 and 0…1 only, wrong for a cache
        // snippet-end
        #expect(fromEnd.shape == [1, 1, 2, 1])
        #expect(isClose(fromEnd, [2.5, 3]))
        #expect(isClose(topLeft, [1, 1.5]))
    }

    @Test("greedy generation gives the reference's ids; a cached step equals recomputing the sequence")
    func generation() throws {
        try Self.requireModels()
        let fixture = try Self.fixture("smollm2", as: SmolLM2Fixture.self).greedy
        let fox = try #require(fixture.first { $0.prompt == "The quick brown fox" })
        // snippet: models-generate
        let file = try GGUFFile(contentsOf: SmolLM2Location.existingModelURL())  // SmolLM2-135M-Instruct, Q4_1
        let generator = try TextGenerator(gguf: file)  // byte-level BPE tokenizer + Llama decoder
        let prompt = generator.tokenizer.encode("The quick brown fox")  // [4] ids
        let result = try generator.generate(promptIDs: prompt, maxTokens: 8, sampler: Sampler(temperature: 0))
        let text = result.text  // 8 greedy tokens, prefill once, then 7 one-token steps
        // snippet-end
        #expect(prompt == fox.promptIDs)
        #expect(result.generatedIDs == Array(fox.generatedIDs.prefix(8)))
        #expect(!text.isEmpty)

        // snippet: models-kv-cache
        let decoder = generator.decoder
        var cache = decoder.makeCache(capacity: 64)  // per layer: K, V buffers [1, Hkv, 64, Dh]
        let first = try decoder.forward(prompt, cache: &cache)  // [1, vocab]: the prompt once, causal
        let next = Sampler.argmax(first.scalars.map(Double.init))  // the greedy token
        let step = try decoder.forward([next], cache: &cache)  // [1, vocab]: Lq = 1 against 5 cached keys
        var fresh = decoder.makeCache(capacity: 64)
        let again = try decoder.forward(prompt + [next], cache: &fresh)  // [1, vocab]: all 5 positions again
        // snippet-end
        #expect(cache[0].length == 5 && fresh[0].length == 5)
        #expect(next == fox.generatedIDs[0])
        let worst = zip(step.scalars, again.scalars).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-3, "cached step vs recomputed logits differ by \(worst)")
    }
}
