import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// What an SVG file holds, read with an XML parser (so a malformed file fails the parse).
struct ParsedSVG {
    var elements: [String: Int] = [:]
    /// `class` attribute → count.
    var classes: [String: Int] = [:]
    /// Fill colour of each `rect class="cell"`, in document order (row-major).
    var cellFills: [String] = []
    /// Text content per `class`.
    var texts: [String: [String]] = [:]

    init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        let delegate = Collector()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw CLITestError(
                "\(url.lastPathComponent) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")"
            )
        }
        self = delegate.result
        guard delegate.root == "svg" else {
            throw CLITestError("\(url.lastPathComponent): root element is \(delegate.root ?? "none"), not svg")
        }
    }

    private init() {}

    private final class Collector: NSObject, XMLParserDelegate {
        var result = ParsedSVG()
        var root: String?
        private var openText: String?
        private var buffer = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = name }
            result.elements[name, default: 0] += 1
            if let kind = attributes["class"] {
                result.classes[kind, default: 0] += 1
                if name == "rect", kind == "cell" { result.cellFills.append(attributes["fill"] ?? "") }
                if name == "text" {
                    openText = kind
                    buffer = ""
                }
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if openText != nil { buffer += string } }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", let kind = openText {
                result.texts[kind, default: []].append(buffer)
                openText = nil
            }
        }
    }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `attend run sdpa|mha … --heatmap out.svg`: the picture parses as SVG, has one cell per weight
/// of the chosen slice, labelled axes and a colour scale, and is written with the other outputs
/// or not at all.
@Suite("attend run --heatmap: attention weights as an SVG heatmap")
struct HeatmapTests {
    private func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try AttendTool.run(arguments)
        #expect(outcome.status == 0, "\(arguments.joined(separator: " "))\n\(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)", sourceLocation: sourceLocation)
    }

    /// Viridis' ends: the colour of the scale's minimum and maximum.
    static let (darkest, brightest) = ("#440154", "#fde725")

    @Test("sdpa --causal --heatmap: an 8 × 8 lower triangle, 8 labels per axis, a colour bar")
    func causal() throws {
        let dir = try Scratch()
        var data = TestData(seed: 30)
        // equal scores: the mask alone shapes the weights
        let zeros = ReferenceArray<Double>(shape: [1, 8, 4], repeating: 0)
        let q = try dir.write("q.npy", zeros)
        let v = try dir.write("v.npy", data.randn([1, 8, 4]))
        try run([
            "run", "sdpa", "--query", q, "--key", q, "--value", v, "--causal", "--output", dir.path("out.npy"),
            "--heatmap", dir.path("w.svg"),
        ])
        let svg = try ParsedSVG(contentsOf: URL(fileURLWithPath: dir.path("w.svg")))
        #expect(svg.classes["cell"] == 64)
        #expect(svg.texts["row-label"] == (0..<8).map(String.init))
        #expect(svg.texts["column-label"] == (0..<8).map(String.init))
        #expect(svg.classes["colour-bar"] == 1)
        #expect(svg.texts["axis-title"]?.count == 2)
        // Weights 1/(i+1) on and below the diagonal, 0 above: row 0's first cell is the maximum
        // (1), every cell above the diagonal the minimum (0).
        #expect(svg.cellFills[0] == Self.brightest)
        for i in 0..<8 {
            for j in (i + 1)..<8 { #expect(svg.cellFills[i * 8 + j] == Self.darkest) }
        }
        #expect(svg.texts["scale-label"] == ["1", "0.5", "0"])
        // 8 × 8 cells are large enough to carry their values: row 3 holds four quarters.
        let values = svg.texts["value"] ?? []
        #expect(values.count == 64)
        #expect(Array(values[24..<28]) == ["0.25", "0.25", "0.25", "0.25"])
        #expect(values[0] == "1.00" && values[1] == "0.00")
        #expect(svg.texts["title"]?.first == "sdpa attention weights — batch entry 0")
        // The .npy output is written too, and is the causal average of v.
        #expect(try dir.read("out.npy").shape == [1, 8, 4])
    }

    @Test("sdpa on [B, H, L, L]: --heatmap-head picks the head of batch entry 0; labels name the tokens")
    func headAndLabels() throws {
        let dir = try Scratch()
        var data = TestData(seed: 31)
        let q = try dir.write("q.npy", data.randn([2, 3, 4, 5]))
        let k = try dir.write("k.npy", data.randn([2, 3, 4, 5]))
        let v = try dir.write("v.npy", data.randn([2, 3, 4, 5]))
        try run([
            "run", "sdpa", "--query", q, "--key", k, "--value", v, "--output", dir.path("out.npy"),
            "--attention-weights", dir.path("w.npy"), "--heatmap", dir.path("w.svg"), "--heatmap-head", "2",
            "--heatmap-labels", "the,cat,sat,down",
        ])
        let svg = try ParsedSVG(contentsOf: URL(fileURLWithPath: dir.path("w.svg")))
        #expect(svg.classes["cell"] == 16)
        #expect(svg.texts["row-label"] == ["the", "cat", "sat", "down"])
        #expect(svg.texts["column-label"] == ["the", "cat", "sat", "down"])
        #expect(svg.texts["title"]?.first == "sdpa attention weights — batch entry 0, head 2 of 3")
        // The drawn values are the written weights [0, 2]: compare the in-cell numbers.
        let weights = try dir.read("w.npy")
        #expect(weights.shape == [2, 3, 4, 4])
        let all = try weights.floats(name: "w")
        let slice = Array(all[(2 * 16)..<(3 * 16)])
        let drawn = (svg.texts["value"] ?? []).compactMap(Double.init)
        #expect(drawn.count == 16)
        for (shown, actual) in zip(drawn, slice) { #expect(Swift.abs(shown - Double(actual)) <= 0.005 + 1e-9) }
    }

    @Test("labels are escaped: <s>, & and quotes survive as text and the file still parses")
    func escaping() throws {
        let dir = try Scratch()
        var data = TestData(seed: 35)
        let x = try dir.write("x.npy", data.randn([1, 4, 5]))
        let labels = ["<s>", "a&b", "\"q\"", "it's"]
        try run([
            "run", "sdpa", "--query", x, "--key", x, "--value", x, "--output", dir.path("out.npy"), "--heatmap",
            dir.path("w.svg"),
            "--heatmap-labels", labels.joined(separator: ","),
        ])
        let svg = try ParsedSVG(contentsOf: URL(fileURLWithPath: dir.path("w.svg")))
        #expect(svg.texts["row-label"] == labels)
        #expect(svg.texts["column-label"] == labels)
    }

    @Test(
        "mha --heatmap draws one head of the per-head weights while --attention-weights keeps the average",
        arguments: ["blas", "reference"])
    func mha(backend: String) throws {
        let dir = try Scratch()
        var data = TestData(seed: 32)
        let dict = RunTests.mhaStateDict(embed: 8, &data)
        let x = try dir.write("x.npy", data.randn([2, 6, 8]))
        let weightsFile = try dir.writeSafeTensors("mha.safetensors", dict)
        try run([
            "run", "mha", "--query", x, "--key", x, "--value", x, "--weights", weightsFile, "--num-heads", "2",
            "--output", dir.path("y.npy"), "--attention-weights", dir.path("w.npy"), "--heatmap", dir.path("h.svg"),
            "--heatmap-head", "1", "--backend", backend,
        ])
        let svg = try ParsedSVG(contentsOf: URL(fileURLWithPath: dir.path("h.svg")))
        #expect(svg.classes["cell"] == 36)
        #expect(svg.texts["title"]?.first == "mha attention weights — batch entry 0, head 1 of 2")
        // --attention-weights without --per-head is still the head average [B, Lq, Lk] …
        let averaged = try dir.read("w.npy")
        #expect(averaged.shape == [2, 6, 6])
        // … and equals the reference's own average, while the picture shows head 1 alone.
        let reference = try Reference.multiHeadAttention(
            query: try referenceArray(from: dir.read("x.npy")), key: try referenceArray(from: dir.read("x.npy")),
            value: try referenceArray(from: dir.read("x.npy")),
            weights: try ReferenceMultiHeadAttentionWeights(stateDict: dict, numHeads: 2), averageWeights: false)
        let expectedAverage = try Reference.mean(reference.weights, dim: 1)
        let written = try averaged.doubles(name: "w")
        let tolerance = backend == "blas" ? 1e-5 : 1e-12  // float32 engine or the float64 reference itself
        #expect(written.count == expectedAverage.count)
        for (a, b) in zip(written, expectedAverage.values) { #expect(Swift.abs(a - b) <= tolerance) }
        let head1 = Array(reference.weights.values[36..<72])
        let drawn = (svg.texts["value"] ?? []).compactMap(Double.init)
        #expect(drawn.count == 36)
        for (shown, actual) in zip(drawn, head1) { #expect(Swift.abs(shown - actual) <= 0.005 + 1e-9) }
    }

    @Test(
        "bad heatmap options exit 2 with one line naming the option, and write no file at all",
        arguments: [
            (["--heatmap-head", "3"], "--heatmap-head 3: expected a head in 0 ..< 3"),
            (["--heatmap-labels", "a,b"], "--heatmap-labels: 2 labels for weights of 4 queries × 4 keys"),
        ])
    func badOptions(extra: [String], message: String) throws {
        let dir = try Scratch()
        var data = TestData(seed: 33)
        let q = try dir.write("q.npy", data.randn([1, 3, 4, 5]))
        let outcome = try AttendTool.run(
            [
                "run", "sdpa", "--query", q, "--key", q, "--value", q, "--output", dir.path("out.npy"),
                "--attention-weights", dir.path("w.npy"), "--heatmap", dir.path("w.svg"),
            ] + extra)
        #expect(outcome.status == 2)
        #expect(outcome.stderrLines.count == 1)
        #expect(outcome.stderr.contains("attend run sdpa: \(message)"), "\(outcome.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0 != "q.npy" }
        #expect(left.isEmpty, "files left behind: \(left)")
    }

    @Test("--heatmap-head without --heatmap is refused; a matrix over 256 × 256 is refused before writing")
    func refusals() throws {
        let dir = try Scratch()
        var data = TestData(seed: 34)
        let q = try dir.write("q.npy", data.randn([1, 2, 4, 5]))
        let unused = try AttendTool.run([
            "run", "sdpa", "--query", q, "--key", q, "--value", q, "--output", dir.path("out.npy"), "--heatmap-head",
            "1",
        ])
        #expect(unused.status == 2)
        #expect(unused.stderr.contains("--heatmap-head 1: draws nothing without --heatmap out.svg"), "\(unused.stderr)")
        #expect(!dir.exists("out.npy"))
        let long = try dir.write("long.npy", ReferenceArray<Double>(shape: [257, 2], repeating: 0))
        let tooLarge = try AttendTool.run([
            "run", "sdpa", "--query", long, "--key", long, "--value", long, "--output", dir.path("out.npy"),
            "--heatmap", dir.path("w.svg"),
        ])
        #expect(tooLarge.status == 2)
        #expect(
            tooLarge.stderr.contains("--heatmap: a 257 × 257 matrix is larger than the 256 × 256 cells"),
            "\(tooLarge.stderr)")
        #expect(!dir.exists("out.npy") && !dir.exists("w.svg"))
    }

    @Test("the articles' pictures (scripts/make_doc_pictures.sh) are well-formed SVG heatmaps")
    func docPictures() throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Sources/Attend/Attend.docc/Resources")
        let expected: [(file: String, cells: Int, labels: Int)] = [
            ("attention-causal.svg", 64, 8), ("attention-padding.svg", 64, 8), ("attention-sentence-head.svg", 36, 6),
        ]
        for (file, cells, labels) in expected {
            let svg = try ParsedSVG(contentsOf: resources.appendingPathComponent(file))
            #expect(svg.classes["cell"] == cells, "\(file)")
            #expect(svg.texts["row-label"]?.count == labels && svg.texts["column-label"]?.count == labels, "\(file)")
            #expect(svg.classes["colour-bar"] == 1, "\(file)")
        }
    }
}
