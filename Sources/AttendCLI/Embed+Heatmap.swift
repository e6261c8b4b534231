import ArgumentParser
import Attend
import AttendModels
import Foundation

// `attend embed --heatmap sim.svg "s1" "s2" …` (the cosine-similarity matrix) and
// `attend embed --attention-heatmap head.svg --layer L --head H "sentence"` (one head of one
// encoder layer, tokens on both axes), drawn with ``Heatmap``.

/// The pictures `attend embed` draws.
struct EmbedPictureOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Also draw the cosine-similarity matrix of the sentences given as arguments as an SVG heatmap.",
            valueName: "sim.svg"))
    var heatmap: String?

    @Option(
        name: .customLong("attention-heatmap"),
        help: ArgumentHelp(
            "Draw the attention weights of one encoder head on the one sentence given (tokens on both axes) instead of embedding it.",
            valueName: "head.svg"))
    var attentionHeatmap: String?

    @Option(help: ArgumentHelp("The encoder layer for --attention-heatmap (default 0).", valueName: "L"))
    var layer: Int?

    @Option(help: ArgumentHelp("The attention head for --attention-heatmap (default 0).", valueName: "H"))
    var head: Int?

    /// Checks the combinations that make no sense, before the model is loaded.
    func validate(sentences: [String], corpus: String?, json: Bool) throws {
        let command = Embed.command
        if attentionHeatmap == nil, layer != nil || head != nil {
            throw CLIError("\(command): --layer and --head choose what --attention-heatmap head.svg draws; give it")
        }
        if let heatmap {
            guard corpus == nil, !sentences.isEmpty else {
                throw CLIError(
                    "\(command): --heatmap \(heatmap) draws the sentences given as arguments; give at least one")
            }
            guard attentionHeatmap == nil else {
                throw CLIError("\(command): --heatmap and --attention-heatmap exclude each other")
            }
            try Self.checkWritable(heatmap, option: "--heatmap")
        }
        if let attentionHeatmap {
            guard corpus == nil, sentences.count == 1 else {
                throw CLIError(
                    "\(command): --attention-heatmap \(attentionHeatmap) draws one sentence; got \(sentences.count)")
            }
            guard !json else { throw CLIError("\(command): --attention-heatmap prints no embeddings; drop --json") }
            if let layer, layer < 0 { throw CLIError("\(command): --layer \(layer) must be 0 or more") }
            if let head, head < 0 { throw CLIError("\(command): --head \(head) must be 0 or more") }
            try Self.checkWritable(attentionHeatmap, option: "--attention-heatmap")
        }
    }

    /// The output's directory exists and the path is not a directory (checked before any work).
    static func checkWritable(_ path: String, option: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("\(Embed.command): \(option) \(path): cannot be written: directory \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError("\(Embed.command): \(option) \(path): is a directory; expected a file path such as out.svg")
        }
    }

    /// A sentence as a label: its number and at most 28 characters of it.
    static func label(_ index: Int, _ sentence: String) -> String {
        let text = sentence.count > 28 ? String(sentence.prefix(27)) + "…" : sentence
        return "[\(index + 1)] \(text)"
    }

    /// `cosine(e_i, e_j)` for every pair, drawn with the sentences as labels.
    static func similarityPicture(sentences: [String], embeddings: [[Float]], model: String) throws -> Heatmap {
        let n = embeddings.count
        var values: [Double] = []
        for i in 0..<n {
            for j in 0..<n { values.append(Double(SemanticSearch.cosine(embeddings[i], embeddings[j]))) }
        }
        let labels = sentences.enumerated().map { label($0.offset, $0.element) }
        var map = try picture {
            try Heatmap(
                values: values, rows: n, columns: n, title: "cosine similarity of \(n) sentences — \(model)",
                rowLabels: labels, columnLabels: labels)
        }
        map.rowAxis = "sentence"
        map.columnAxis = "sentence"
        return map
    }

    /// One head of one layer on one sentence (`BertEncoder.attentionWeights(_:layer:)`).
    func attentionPicture(sentence: String, embedder: SentenceEmbedder, model: String) throws -> Heatmap {
        let command = Embed.command
        let (layer, head) = (self.layer ?? 0, self.head ?? 0)
        let configuration = embedder.encoder.configuration
        guard layer < configuration.layerCount else {
            throw CLIError("\(command): --layer \(layer): \(model) has layers 0 ..< \(configuration.layerCount)")
        }
        guard head < configuration.headCount else {
            throw CLIError("\(command): --head \(head): \(model) has heads 0 ..< \(configuration.headCount)")
        }
        let tokens = embedder.tokenizer.tokenize(sentence)
        let weights = try embedder.encoder.attentionWeights(tokens.ids, layer: layer)  // [H, L, L]
        let l = tokens.ids.count
        let slice = try weights.narrowed(0, start: head, length: 1).contiguous().scalars.map(Double.init)  // [L, L]
        var map = try Self.picture {
            try Heatmap(
                values: slice, rows: l, columns: l,
                title: "\(model) layer \(layer) head \(head) of \(configuration.headCount): attention weights",
                rowLabels: tokens.tokens, columnLabels: tokens.tokens)
        }
        map.rowAxis = "query token"
        map.columnAxis = "key token"
        return map
    }

    private static func picture(_ make: () throws -> Heatmap) throws -> Heatmap {
        do {
            return try make()
        } catch let error as HeatmapError {
            throw CLIError("\(Embed.command): \(error.description)")
        }
    }

    /// Writes the picture atomically (a failure leaves no file behind).
    static func write(_ map: Heatmap, to path: String, option: String) throws {
        do {
            try Data(map.svg().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError("\(Embed.command): \(option) \(path): cannot be written: \(error.localizedDescription)")
        }
    }
}
