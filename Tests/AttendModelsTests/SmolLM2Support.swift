import Attend
import AttendModels
import Foundation
import Testing

// swift-format-ignore: AlwaysUseLowerCamelCase
// The stored properties are the fixture's JSON keys, written by the Python script.
/// The committed fixture of `scripts/smollm2_reference.py` and the fetched model, loaded once.
enum SmolLM2Fixture {
    struct Tokens: Decodable {
        var text: String
        var ids: [Int]
    }
    struct Step: Decodable {
        var ids: [Int]
        var values: [Double]
    }
    struct Logits: Decodable {
        var prompt: String
        var prompt_ids: [Int]
        var steps: [Step]
    }
    struct Greedy: Decodable {
        var prompt: String
        var prompt_ids: [Int]
        var generated_ids: [Int]
        var text: String
    }
    struct File: Decodable {
        var chat_template: String
        var tokens: [Tokens]
        var logits: [Logits]
        var greedy: [Greedy]
    }

    /// …/Tests/AttendModelsTests/SmolLM2Support.swift → …/Tests/Fixtures/models/smollm2.json
    static let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/smollm2.json")

    static func load() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }
}

/// The model, loaded once for all suites. A missing model FAILS the tests that need it, with the
/// command that fetches it (it is never skipped).
enum SmolLM2Model {
    static let file: Result<GGUFFile, Error> = Result {
        guard FileManager.default.fileExists(atPath: SmolLM2Location.modelURL.path) else {
            throw DecoderModelError(
                "SmolLM2 model missing at \(SmolLM2Location.modelURL.path): run `\(SmolLM2Location.fetchCommand)` (scripts/test does)"
            )
        }
        return try GGUFFile(contentsOf: SmolLM2Location.modelURL)
    }
    static let generator: Result<TextGenerator, Error> = Result { try TextGenerator(gguf: file.get()) }
    static let tokenizer: Result<BytePairEncoding, Error> = Result { try BytePairEncoding(gguf: file.get()) }
}
