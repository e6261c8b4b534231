import AttendModels
import Foundation
import Testing

// swift-format-ignore: AlwaysUseLowerCamelCase
// The stored properties are the fixture's JSON keys, written by the Python script.
/// Tests/Fixtures/models/minilm.json, written by scripts/minilm_reference.py (NumPy float64, its
/// own safetensors reader and BERT tokenizer; never the engine's output).
struct MiniLMFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let tokens: [String]
        let embedding: [Double]
    }
    struct Search: Decodable {
        let corpus: [String]
        let query: String
        let order: [Int]
        let scores: [Double]
    }
    /// One layer's attention weights on one sentence, `[H][L][L]`.
    struct Attention: Decodable {
        let text: String
        let layer: Int
        let tokens: [String]
        let weights: [[[Double]]]
    }
    let max_length: Int
    let cases: [Case]
    let search: Search
    let attention: Attention

    static let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/minilm.json")

    static func load() throws -> MiniLMFixture {
        try JSONDecoder().decode(MiniLMFixture.self, from: Data(contentsOf: url))
    }
}

/// The fetched all-MiniLM-L6-v2 folder. Absent, the model tests FAIL (never skip) with the
/// command that fetches it — `scripts/test` runs it first, so CI always has the model.
enum MiniLMModel {
    static let directory = ModelCache.directory(for: "minilm")

    static func requireDirectory() throws -> URL {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            Issue.record(
                "all-MiniLM-L6-v2 is not in \(directory.path): run `\(ModelCache.fetchCommand(for: "minilm"))` (scripts/test does)"
            )
            throw MissingModel()
        }
        return directory
    }

    struct MissingModel: Error {}

    /// Loaded once for every test in the process (loading reads 90 MB).
    static let shared: Result<SentenceEmbedder, any Error> = Result {
        try SentenceEmbedder(directory: requireDirectory())
    }

    static func embedder() throws -> SentenceEmbedder { try shared.get() }
}
