import Attend
import AttendModels
import Foundation

extension FuzzTarget {
    /// The WordPiece harness: the bytes before the first NUL are `vocab.txt`, the bytes after it
    /// (up to a second NUL) the text; bytes after a second NUL are `tokenizer.json`, else the
    /// folder has an empty `tokenizer_config.json` (BERT's defaults). The folder is written to a
    /// fresh temporary directory, read by `BertTokenizer(directory:)` — the path a model folder
    /// from a stranger takes — and the text is tokenized.
    static func wordPiece(_ data: Data) throws {
        let sections = data.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        let vocabulary = sections[0]
        let text = sections.count > 1 ? String(decoding: sections[1], as: UTF8.self) : ""
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("attend-fuzz-wordpiece-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try vocabulary.write(to: folder.appendingPathComponent("vocab.txt"))
        if sections.count > 2 {
            try sections[2].write(to: folder.appendingPathComponent("tokenizer.json"))
        } else {
            try Data("{}".utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        }
        let tokenizer = try BertTokenizer(directory: folder, model: "fuzz")
        let tokenized = tokenizer.tokenize(text)
        precondition(
            tokenized.ids.count <= tokenizer.maxLength && tokenized.ids.first == tokenizer.classifierID
                && tokenized.ids.last == tokenizer.separatorID,
            "WordPiece harness: \(tokenized.ids.count) ids for maxLength \(tokenizer.maxLength)")
    }

    /// The byte-level BPE harness: a little-endian UInt16 text length, that many bytes of text
    /// (fewer when the input ends first), then a GGUF file whose `tokenizer.ggml.*` metadata
    /// describes the tokenizer. The text is encoded, and the ids decoded back to bytes.
    static func bytePairEncoding(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 2 else { return }
        let length = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
        let text = String(decoding: bytes[2..<(2 + length)], as: UTF8.self)
        let file = try GGUFFile(data: Data(bytes[(2 + length)...]), name: "fuzz.gguf")
        let tokenizer = try BytePairEncoding(gguf: file)
        let ids = tokenizer.encode(text)
        precondition(ids.allSatisfy { (0..<tokenizer.count).contains($0) }, "BPE harness: an id outside the vocabulary")
        _ = try tokenizer.decode(ids)
    }
}
