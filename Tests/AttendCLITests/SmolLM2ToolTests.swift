import Foundation
import Testing

/// `attend tokenize --model smollm2` and `attend generate` on the fetched SmolLM2-135M-Instruct,
/// against the float64 NumPy reference's fixture (Tests/Fixtures/models/smollm2.json,
/// scripts/smollm2_reference.py). Without the model these tests fail with the fetch command —
/// scripts/test fetches it first.
@Suite("attend tokenize --model smollm2 and attend generate")
struct SmolLM2ToolTests {
    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The stored properties are the fixture's JSON keys, written by scripts/smollm2_reference.py.
    struct Fixture: Decodable {
        struct Tokens: Decodable {
            let text: String
            let ids: [Int]
        }
        struct Greedy: Decodable {
            let prompt: String
            let prompt_ids: [Int]
            let generated_ids: [Int]
        }
        let tokens: [Tokens]
        let greedy: [Greedy]
    }

    struct TokenizeOutput: Decodable {
        let ids: [Int]
        let tokens: [String]
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: FetchedModels.fixtureURL("smollm2.json")))
    }

    static func requireModel() throws { try FetchedModels.require("smollm2", file: "SmolLM2-135M-Instruct.Q4_1.gguf") }

    static func tokenize(_ text: String) throws -> TokenizeOutput {
        let outcome = try AttendTool.run(["tokenize", "--model", "smollm2", "--json", text])
        try #require(outcome.status == 0, "\(outcome)")
        return try JSONDecoder().decode(TokenizeOutput.self, from: Data(outcome.stdout.utf8))
    }

    @Test("tokenize --model smollm2 --json prints the reference's ids for every fixture string, one token per id")
    func idsEqualReference() throws {
        try Self.requireModel()
        for entry in try Self.fixture().tokens {
            let got = try Self.tokenize(entry.text)
            #expect(got.ids == entry.ids, "\(entry.text.debugDescription)")
            #expect(got.tokens.count == got.ids.count, "\(entry.text.debugDescription)")
        }
    }

    @Test("tokens are the byte-level BPE strings (space as Ġ, newline as Ċ) and special tokens stay whole")
    func tokenStrings() throws {
        try Self.requireModel()
        // GPT-2's byte ↔ unicode table: byte 0x20 is U+0120 "Ġ", byte 0x0A is U+010A "Ċ".
        #expect(try Self.tokenize("Hello, world!").tokens == ["Hello", ",", "Ġworld", "!"])
        let chat = try Self.tokenize("<|im_start|>user\nHi there<|im_end|>\n")
        #expect(chat.tokens == ["<|im_start|>", "user", "Ċ", "Hi", "Ġthere", "<|im_end|>", "Ċ"])
        #expect(chat.ids.first == 1 && chat.ids.contains(2))  // <|im_start|> = 1, <|im_end|> = 2 (the GGUF's ids)
    }

    @Test("tokenize --model smollm2 without --json prints one table row per token: index, id, token")
    func table() throws {
        try Self.requireModel()
        let outcome = try AttendTool.run(["tokenize", "--model", "smollm2", "Hello, world!"])
        try #require(outcome.status == 0, "\(outcome)")
        let rows = outcome.stdoutLines.map {
            $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        .filter { $0.count == 3 && Int($0[0]) != nil }
        #expect(rows.map { $0[0] } == ["0", "1", "2", "3"])
        #expect(rows.map { $0[1] } == ["19556", "28", "905", "17"])  // the fixture's ids for this string
        #expect(rows.map { $0[2] } == ["Hello", ",", "Ġworld", "!"])
    }

    @Test("generate --chat --json answers the reference's capital question with the reference's greedy ids")
    func generateGreedyJSON() throws {
        try Self.requireModel()
        let entry = try #require(try Self.fixture().greedy.first { $0.prompt.contains("capital of France") })
        let outcome = try AttendTool.run([
            "generate", "--chat", "What is the capital of France?", "--json", "--max-tokens", "32",
        ])
        try #require(outcome.status == 0, "\(outcome)")
        // swift-format-ignore: AlwaysUseLowerCamelCase
        // The stored properties are the keys of `attend generate --json`.
        struct Output: Decodable {
            let prompt_ids: [Int]
            let generated_ids: [Int]
            let text: String
        }
        let got = try JSONDecoder().decode(Output.self, from: Data(outcome.stdout.utf8))
        #expect(got.prompt_ids == entry.prompt_ids)
        #expect(got.generated_ids == entry.generated_ids)
        #expect(got.text == "The capital of France is Paris.")
        #expect(outcome.stderr.contains("tokens/s"), "\(outcome)")
    }

    @Test("generate and tokenize --model FILE.gguf give what the cached default gives, the speed line on its own line")
    func modelFile() throws {
        try Self.requireModel()
        let path = FetchedModels.cache + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        let byFile = try AttendTool.run(["generate", "--model", path, "The capital of France is", "--max-tokens", "8"])
        let byDefault = try AttendTool.run(["generate", "The capital of France is", "--max-tokens", "8"])
        try #require(byFile.status == 0 && byDefault.status == 0, "\(byFile) \(byDefault)")
        #expect(byFile.stdout == byDefault.stdout)
        #expect(byFile.stdout.hasSuffix("\n"), "the streamed text ends its line before the speed line")
        #expect(byFile.stderrLines.last?.hasPrefix("prompt: ") == true, "\(byFile)")
        let tokens = try AttendTool.run(["tokenize", "--model", path, "--json", "Hello, world!"])
        try #require(tokens.status == 0, "\(tokens)")
        #expect(
            try JSONDecoder().decode(TokenizeOutput.self, from: Data(tokens.stdout.utf8)).ids
                == Self.tokenize("Hello, world!").ids)
    }

    @Test("inspect lists every tensor; --tensor --save writes one dequantized to float32 .npy")
    func inspectSave() throws {
        try Self.requireModel()
        let path = FetchedModels.cache + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        let listing = try AttendTool.run(["inspect", path])
        try #require(listing.status == 0, "\(listing)")
        #expect(listing.stdout.contains("blk.0.attn_q.weight  Q4_1  [576, 576]"), "\(listing.stdout.prefix(2000))")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "attend-inspect-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: out) }
        let saved = try AttendTool.run(["inspect", path, "--tensor", "blk.0.attn_q.weight", "--save", out.path])
        try #require(saved.status == 0, "\(saved)")
        // A v1 .npy of float32: the header names the dtype and the shape; 576·576 values follow.
        let data = try Data(contentsOf: out)
        let header = String(decoding: data.prefix(128), as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("(576, 576)"), "\(header)")
        #expect(data.count >= 576 * 576 * 4 && data.count <= 576 * 576 * 4 + 256)
        let bad = try AttendTool.run(["inspect", path, "--tensor", "nope", "--save", out.path])
        #expect(bad.status != 0 && bad.stderr.contains("has no tensor named \"nope\""), "\(bad)")
    }

    @Test("chat with piped input: one reply line per message, the history kept, /reset forgetting it")
    func chatPiped() throws {
        try Self.requireModel()
        let outcome = try AttendTool.run(
            ["chat", "--max-tokens", "16"],
            input:
                "What is the capital of France?\nAnd of Germany?\n/reset\nWhat is the capital of France?\n/quit\nignored\n"
        )
        try #require(outcome.status == 0, "\(outcome)")
        let lines = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Three replies, each on its own line; the second answers from the history (Germany's
        // capital follows only from the first question), the third equals the first after /reset.
        #expect(lines.count == 4 && lines[3].isEmpty, "\(outcome)")
        #expect(lines[0] == "The capital of France is Paris.", "\(outcome)")
        #expect(lines[1].contains("Berlin"), "\(outcome)")
        #expect(lines[2] == lines[0], "\(outcome)")
    }

    @Test("a missing SmolLM2 makes generate and tokenize exit 2 with one line naming the fetch script")
    func missingModel() throws {
        let scratch = try Scratch()
        for arguments in [["generate", "hello", "--max-tokens", "4"], ["tokenize", "--model", "smollm2", "hello"]] {
            let outcome = try AttendTool.run(arguments, environment: ["ATTEND_CACHE": scratch.url.path])
            #expect(outcome.status == 2, "\(outcome)")
            #expect(outcome.stderrLines.count == 1, "\(outcome)")
            #expect(outcome.stderr.contains("python3 scripts/fetch_model.py smollm2"), "\(outcome)")
            #expect(outcome.stderr.contains(scratch.url.path), "\(outcome)")
            #expect(outcome.stdout.isEmpty, "\(outcome)")
        }
    }
}
