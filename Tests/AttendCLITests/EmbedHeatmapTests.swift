import Attend
import Foundation
import Testing

/// `attend embed --heatmap` (the cosine-similarity matrix) and `--attention-heatmap` (one head
/// of one MiniLM layer): the files parse as SVG, carry the sentences or tokens as labels, and
/// their cells hold the float64 NumPy reference's values (Tests/Fixtures/models/minilm.json).
@Suite("attend embed --heatmap and --attention-heatmap")
struct EmbedHeatmapTests {
    struct Fixture: Decodable {
        /// A sentence and its reference embedding.
        struct Case: Decodable {
            let text: String, embedding: [Double]
        }
        /// One layer's weights `[H][L][L]` on `text`.
        struct Attention: Decodable {
            let text: String, layer: Int, tokens: [String], weights: [[[Double]]]
        }
        let cases: [Case]
        let attention: Attention
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: FetchedModels.fixtureURL("minilm.json")))
    }

    /// The value in each cell's tooltip (`<title>… : 0.1234</title>`), row-major.
    static func cellValues(_ url: URL) throws -> [Double] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").filter { $0.contains(#"<rect class="cell""#) }.map { line in
            let title = line.split(separator: "<title>")[1]
            let number = title.split(separator: ": ").last!.split(separator: "<")[0]
            return Double(number) ?? .nan
        }
    }

    @Test("--heatmap sim.svg: an n × n matrix labelled with the sentences, the reference's cosines in its cells")
    func similarity() throws {
        try EmbedTests.requireModel()
        let cases = Array(try Self.fixture().cases.prefix(4))
        let dir = try Scratch()
        let outcome = try AttendTool.run(["embed", "--heatmap", dir.path("sim.svg")] + cases.map(\.text))
        try #require(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("cosine"), "the table is still printed")
        let url = URL(fileURLWithPath: dir.path("sim.svg"))
        let svg = try ParsedSVG(contentsOf: url)
        #expect(svg.classes["cell"] == 16)
        let labels = svg.texts["row-label"] ?? []
        #expect(labels.count == 4 && svg.texts["column-label"] == labels)
        #expect(labels.first?.hasPrefix("[1] " + String(cases[0].text.prefix(20))) == true, "\(labels)")
        #expect(svg.texts["title"]?.first?.hasPrefix("cosine similarity of 4 sentences") == true)
        let values = try Self.cellValues(url)
        try #require(values.count == 16)
        for i in 0..<4 {
            for j in 0..<4 {
                let (a, b) = (cases[i].embedding, cases[j].embedding)
                let expected = zip(a, b).map(*).reduce(0, +)  // unit vectors
                // The tooltip has 4 significant digits; the embeddings agree to 1e-4.
                #expect(abs(values[i * 4 + j] - expected) <= 1e-3, "cell (\(i), \(j))")
            }
        }
    }

    @Test("--attention-heatmap --layer 5 --head 11: tokens on both axes, the reference's weights in the cells")
    func attentionHead() throws {
        try EmbedTests.requireModel()
        let attention = try Self.fixture().attention
        let dir = try Scratch()
        let outcome = try AttendTool.run([
            "embed", "--attention-heatmap", dir.path("head.svg"), "--layer", "\(attention.layer)", "--head", "11",
            attention.text,
        ])
        try #require(outcome.status == 0, "\(outcome)")
        let url = URL(fileURLWithPath: dir.path("head.svg"))
        let svg = try ParsedSVG(contentsOf: url)
        let l = attention.tokens.count
        #expect(svg.classes["cell"] == l * l)
        #expect(svg.texts["row-label"] == attention.tokens)
        #expect(svg.texts["column-label"] == attention.tokens)
        #expect(svg.texts["axis-title"] == ["key token →", "← query token"])
        #expect(svg.texts["title"]?.first == "minilm layer 5 head 11 of 12: attention weights")
        let values = try Self.cellValues(url)
        try #require(values.count == l * l)
        for i in 0..<l {
            for j in 0..<l {
                let expected = attention.weights[11][i][j]
                #expect(abs(values[i * l + j] - expected) <= 1e-4 + 5e-4 * expected, "cell (\(i), \(j))")
            }
        }
    }

    @Test(
        "bad picture options exit 2 with one line and write nothing",
        arguments: [
            (["--attention-heatmap", "PATH", "one", "two"], "draws one sentence; got 2"),
            (["--attention-heatmap", "PATH", "--layer", "6", "one"], "--layer 6: minilm has layers 0 ..< 6"),
            (["--attention-heatmap", "PATH", "--head", "12", "one"], "--head 12: minilm has heads 0 ..< 12"),
            (["--layer", "1", "one"], "--layer and --head choose what --attention-heatmap"),
            (["--heatmap", "PATH", "--attention-heatmap", "PATH2", "one"], "exclude each other"),
            (["--heatmap", "/nonexistent/dir/sim.svg", "one", "two"], "directory /nonexistent/dir does not exist"),
        ])
    func badOptions(extra: [String], message: String) throws {
        try EmbedTests.requireModel()
        let dir = try Scratch()
        let arguments = extra.map { $0 == "PATH" ? dir.path("out.svg") : $0 == "PATH2" ? dir.path("b.svg") : $0 }
        let outcome = try AttendTool.run(["embed"] + arguments)
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.stderrLines.count == 1 && outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(!dir.exists("out.svg") && !dir.exists("b.svg"))
    }

    @Test("the model article's pictures (scripts/make_doc_pictures.sh) are well-formed, labelled SVG heatmaps")
    func docPictures() throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/AttendModels/AttendModels.docc/Resources")
        let head = try ParsedSVG(contentsOf: resources.appendingPathComponent("minilm-head.svg"))
        let tokens = try Self.fixture().attention.tokens
        #expect(head.classes["cell"] == tokens.count * tokens.count)
        #expect(head.texts["row-label"] == tokens && head.texts["column-label"] == tokens)
        let similarity = try ParsedSVG(contentsOf: resources.appendingPathComponent("similarity-matrix.svg"))
        #expect(similarity.classes["cell"] == 36)
        #expect(similarity.texts["row-label"]?.first?.hasPrefix("[1] The cat sits") == true)
        for svg in [head, similarity] { #expect(svg.classes["colour-bar"] == 1) }
    }
}
