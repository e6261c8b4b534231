import ArgumentParser
import Attend
import AttendModels
import Foundation

/// `attend embed`: sentence embeddings, their cosine similarities, and semantic search.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings (all-MiniLM-L6-v2 by default) and semantic search.",
        discussion: """
            attend embed "s1" "s2" …            cosine similarity matrix (one sentence: its embedding)
            attend embed --json "s1" …          {"model": …, "embeddings": [[…], …]} in input order
            attend embed < lines.txt            one sentence a line from stdin, embedded in batches
            attend embed --corpus FILE --query "text" [--top 5] [--save-corpus emb.npy | --load-corpus emb.npy]
            attend embed --heatmap sim.svg "s1" "s2" …                 also draw the cosine matrix (SVG)
            attend embed --attention-heatmap head.svg --layer L --head H "sentence"   one head's weights (SVG)

            The model comes from `python3 scripts/fetch_model.py minilm` (or --model DIR); without it the \
            command exits with status 2 and says so. Blank corpus lines are skipped.
            """)

    @Argument(help: "Sentences to embed (stdin, one a line, when none are given).") var sentences: [String] = []
    @Option(help: "Model name (minilm) or folder.") var model: String?
    @Flag(help: #"Print {"model": …, "embeddings": [[…], …]}."#) var json = false
    @Option(help: "Passages to search, one a line.") var corpus: String?
    @Option(help: "The search query (with --corpus).") var query: String?
    @Option(help: "How many matches to print.") var top = 5
    @Option(help: "Write the corpus embeddings to this .npy file ([N, E] float32).") var saveCorpus: String?
    @Option(help: "Read the corpus embeddings from this .npy file instead of embedding the corpus.") var loadCorpus:
        String?
    @Option(help: "The most tokens per encoder batch (sentences run packed, without padding).") var batchTokens =
        SentenceEmbedder.defaultBatchTokens
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @OptionGroup var pictures: EmbedPictureOptions

    static let command = "attend embed"

    func validate() throws {
        if corpus == nil, query != nil || saveCorpus != nil || loadCorpus != nil {
            throw CLIError("\(Self.command): --query, --save-corpus and --load-corpus need --corpus FILE")
        }
        if corpus != nil, !sentences.isEmpty {
            throw CLIError("\(Self.command): give sentences or --corpus, not both")
        }
        if saveCorpus != nil, loadCorpus != nil {
            throw CLIError("\(Self.command): --save-corpus and --load-corpus exclude each other")
        }
        guard batchTokens > 0, top > 0 else {
            throw CLIError("\(Self.command): --batch-tokens and --top must be positive")
        }
        if let threads, threads < 1 { throw CLIError("\(Self.command): --threads must be at least 1") }
        try pictures.validate(sentences: sentences, corpus: corpus, json: json)
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        let (choice, kind) = ModelChoice.resolve(model)
        guard kind == .bertWordPiece else {
            throw CLIError(
                "\(Self.command): --model \(choice.name) is a text-generation model, not a sentence-embedding one")
        }
        let embedder = try loadModel(choice, command: Self.command) {
            try SentenceEmbedder(directory: choice.directory, model: choice.cacheName)
        }
        if let path = pictures.attentionHeatmap {
            let map = try pictures.attentionPicture(sentence: sentences[0], embedder: embedder, model: choice.name)
            try EmbedPictureOptions.write(map, to: path, option: "--attention-heatmap")
            print("\(map.title): \(map.rowLabels.joined(separator: " ")) → \(path)")
        } else if let corpus {
            try search(corpus: corpus, embedder: embedder, model: choice)
        } else if sentences.isEmpty {
            try embedStandardInput(embedder: embedder, model: choice)
        } else {
            let embeddings = try embedder.embed(sentences, batchTokens: batchTokens)
            if let path = pictures.heatmap {
                let map = try EmbedPictureOptions.similarityPicture(
                    sentences: sentences, embeddings: embeddings, model: choice.name)
                try EmbedPictureOptions.write(map, to: path, option: "--heatmap")
            }
            if json {
                print(try jsonText(EmbeddingsOutput(model: choice.name, embeddings: embeddings)))
            } else {
                print(Self.table(sentences: sentences, embeddings: embeddings))
            }
        }
    }

    struct EmbeddingsOutput: Encodable { var model: String, embeddings: [[Float]] }

    /// Stdin, one sentence a line, embedded a chunk at a time so large inputs stream; JSON output
    /// is written as it goes, the table needs every embedding first.
    private func embedStandardInput(embedder: SentenceEmbedder, model: ModelChoice) throws {
        let chunk = 512
        let progress = StandardError.isTerminal ? ProgressLine(command: Self.command, unit: "sentences") : nil
        var all: [String] = []
        var embeddings: [[Float]] = []
        var done = 0
        if json { print(#"{"model": \#(try jsonText(model.name)), "embeddings": ["#, terminator: "") }
        while true {
            var lines: [String] = []
            while lines.count < chunk, let line = readLine(strippingNewline: true) { lines.append(line) }
            if lines.isEmpty { break }
            let vectors = try embedder.embed(lines, batchTokens: batchTokens)
            if json {
                for (i, v) in vectors.enumerated() {
                    print((done + i == 0 ? "" : ",") + "\n  " + (try jsonText(v)), terminator: "")
                }
            } else {
                all += lines
                embeddings += vectors
            }
            done += lines.count
            progress?.update(done: done)
        }
        progress?.finish()
        if json {
            print(done == 0 ? "]}" : "\n]}")
        } else if done == 0 {
            throw CLIError("\(Self.command): no sentences given (as arguments or on stdin)")
        } else {
            print(Self.table(sentences: all, embeddings: embeddings))
        }
    }

    /// One sentence: its embedding, 8 numbers a line. Several: the cosine similarity matrix
    /// (the first 16 when there are more).
    static func table(sentences: [String], embeddings: [[Float]]) -> String {
        if embeddings.count == 1 {
            let v = embeddings[0]
            var lines = ["\(v.count)-d embedding of \(sentences[0].debugDescription):"]
            for start in stride(from: 0, to: v.count, by: 8) {
                lines.append(
                    v[start..<min(start + 8, v.count)].map { String(format: "%10.6f", $0) }.joined(separator: " "))
            }
            return lines.joined(separator: "\n")
        }
        let n = min(embeddings.count, 16)
        var lines: [String] = []
        for i in 0..<n {
            let text = sentences[i].count > 70 ? String(sentences[i].prefix(67)) + "…" : sentences[i]
            lines.append("[\(i + 1)] \(text)")
        }
        var table = TextTable([("cosine", .left)] + (0..<n).map { ("[\($0 + 1)]", .right) })
        for i in 0..<n {
            table.append(
                ["[\(i + 1)]"]
                    + (0..<n).map { String(format: "%.4f", SemanticSearch.cosine(embeddings[i], embeddings[$0])) })
        }
        lines += ["", table.rendered()]
        if embeddings.count > n {
            lines.append("(the first \(n) of \(embeddings.count) sentences; --json prints every embedding)")
        }
        return lines.joined(separator: "\n")
    }

    /// `--corpus FILE [--query TEXT] [--save-corpus | --load-corpus]`.
    private func search(corpus: String, embedder: SentenceEmbedder, model: ModelChoice) throws {
        let context = ErrorContext(command: Self.command)
        let text = try context.attributing(to: "--corpus \(corpus)") {
            try String(contentsOf: URL(fileURLWithPath: corpus), encoding: .utf8)
        }
        let passages = text.split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.allSatisfy(\.isWhitespace) }
        guard !passages.isEmpty else { throw context.error("--corpus \(corpus)", "has no passages (one a line)") }
        let vectors: [[Float]]
        if let loadCorpus {
            vectors = try context.attributing(to: "--load-corpus \(loadCorpus)") {
                let matrix = try Tensor<Float>(NPY.read(contentsOf: URL(fileURLWithPath: loadCorpus)), name: loadCorpus)
                guard matrix.shape == [passages.count, embedder.dimension] else {
                    throw CLIError(
                        "\(Self.command): --load-corpus \(loadCorpus): holds \(describeShape(matrix.shape)) but the corpus has "
                            + "\(passages.count) passages of width \(embedder.dimension): embed it again with --save-corpus"
                    )
                }
                let flat = matrix.scalars
                return (0..<passages.count).map {
                    Array(flat[($0 * embedder.dimension)..<(($0 + 1) * embedder.dimension)])
                }
            }
        } else {
            let progress =
                StandardError.isTerminal
                ? ProgressLine(command: Self.command, unit: "passages", total: passages.count) : nil
            vectors = try embedder.embed(passages, batchTokens: batchTokens) { progress?.update(done: $0) }
            progress?.finish()
        }
        if let saveCorpus {
            try context.attributing(to: "--save-corpus \(saveCorpus)") {
                try NPY.write(
                    ArrayData(shape: [passages.count, embedder.dimension], float32: vectors.flatMap { $0 }),
                    to: URL(fileURLWithPath: saveCorpus))
            }
        }
        guard let query else { return }
        let matches = SemanticSearch.rank(query: try embedder.embed(query), corpus: vectors, top: top)
        if json {
            struct Match: Encodable { var index: Int, score: Float, text: String }
            struct Output: Encodable { var model: String, query: String, matches: [Match] }
            print(
                try jsonText(
                    Output(
                        model: model.name, query: query,
                        matches: matches.map { Match(index: $0.index, score: $0.score, text: passages[$0.index]) })))
        } else {
            var table = TextTable([("rank", .right), ("cosine", .right), ("passage #", .right), ("passage", .left)])
            for (rank, match) in matches.enumerated() {
                table.append([
                    "\(rank + 1)", String(format: "%.4f", match.score), "\(match.index + 1)", passages[match.index],
                ])
            }
            print("query: \(query)\n" + table.rendered())
        }
    }

    private func describeShape(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
