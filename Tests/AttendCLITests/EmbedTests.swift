import Attend
import Foundation
import Testing

/// `attend embed` and `attend tokenize` on the fetched all-MiniLM-L6-v2, against the NumPy
/// reference's fixture (Tests/Fixtures/models/minilm.json, scripts/minilm_reference.py).
/// Without the model these tests fail with the fetch command — scripts/test fetches it first.
@Suite("attend embed and attend tokenize")
struct EmbedTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let tokens: [String]
        }
        struct Search: Decodable {
            let corpus: [String]
            let query: String
            let order: [Int]
        }
        let cases: [Case]
        let search: Search
    }

    /// Tests/Fixtures/models/minilm.json (scripts/minilm_reference.py).
    static let fixtureURL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/minilm.json")

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL))
    }

    static func requireModel() throws {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["ATTEND_CACHE"].flatMap { $0.isEmpty ? nil : $0 }.map { $0 + "/models" }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache/attend/models"
        try #require(
            FileManager.default.fileExists(atPath: base + "/minilm/model.safetensors"),
            "all-MiniLM-L6-v2 is not in \(base)/minilm: run `python3 scripts/fetch_model.py minilm` (scripts/test does)"
        )
    }

    @Test("tokenize --json prints the reference's ids and tokens")
    func tokenizeJSON() throws {
        try Self.requireModel()
        for c in try Self.fixture().cases.prefix(6) {
            let outcome = try AttendTool.run(["tokenize", "--json", c.text])
            try #require(outcome.status == 0, "\(outcome)")
            struct Output: Decodable {
                let ids: [Int]
                let tokens: [String]
            }
            let got = try JSONDecoder().decode(Output.self, from: Data(outcome.stdout.utf8))
            #expect(got.ids == c.ids)
            #expect(got.tokens == c.tokens)
        }
    }

    @Test("a missing model exits 2 with one line naming the fetch script")
    func missingModel() throws {
        for arguments in [
            ["embed", "--model", "/nonexistent/minilm", "a"], ["tokenize", "--model", "/nonexistent/minilm", "a"],
        ] {
            let outcome = try AttendTool.run(arguments)
            #expect(outcome.status == 2)
            #expect(outcome.stderrLines.count == 1)
            #expect(outcome.stderr.contains("scripts/fetch_model.py minilm"), "\(outcome)")
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test("two sentences print a similarity matrix; --corpus search saves, reloads and ranks as the reference")
    func embedAndSearch() throws {
        try Self.requireModel()
        let outcome = try AttendTool.run(["embed", "A man saw a person with a telescope.", "My cat is a lovely cat."])
        try #require(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("cosine"))
        // legend + matrix rows
        #expect(outcome.stdoutLines.filter { $0.hasPrefix("[1]") || $0.hasPrefix("[2]") }.count == 4)

        let search = try Self.fixture().search
        let dir = try Scratch()
        try (search.corpus.joined(separator: "\n") + "\n").write(
            toFile: dir.path("corpus.txt"), atomically: true, encoding: .utf8)
        struct Output: Decodable {
            struct Match: Decodable { let index: Int }
            let matches: [Match]
        }
        let saved = try AttendTool.run([
            "embed", "--corpus", dir.path("corpus.txt"), "--query", search.query, "--top", "10",
            "--json", "--save-corpus", dir.path("emb.npy"),
        ])
        try #require(saved.status == 0, "\(saved)")
        #expect(
            try JSONDecoder().decode(Output.self, from: Data(saved.stdout.utf8)).matches.map(\.index) == search.order)
        #expect(try dir.read("emb.npy").shape == [search.corpus.count, 384])
        let loaded = try AttendTool.run([
            "embed", "--corpus", dir.path("corpus.txt"), "--query", search.query, "--top", "3",
            "--json", "--load-corpus", dir.path("emb.npy"),
        ])
        try #require(loaded.status == 0, "\(loaded)")
        #expect(
            try JSONDecoder().decode(Output.self, from: Data(loaded.stdout.utf8)).matches.map(\.index)
                == Array(search.order.prefix(3)))
    }
}
