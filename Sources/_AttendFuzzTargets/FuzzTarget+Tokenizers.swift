import Attend
import AttendModels
import Foundation

extension FuzzTarget {
    /// The WordPiece harness: the bytes before the first NUL are `vocab.txt`, the bytes after it
    /// (up to a second NUL) the text; bytes after a second NUL are `tokenizer.json`, else the
    /// folder has an empty `tokenizer_config.json` (BERT's defaults). The folder's files are read
    /// from memory by `BertTokenizer(files:)` — the parsing a model folder from a stranger gets in
    /// `BertTokenizer(directory:)`, without the disk (which held the harness to ~1 input a second)
    /// — and the text is tokenized.
    static func wordPiece(_ data: Data) throws {
        let sections = data.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        let text = sections.count > 1 ? String(decoding: sections[1], as: UTF8.self) : ""
        var files = ["vocab.txt": Data(sections[0])]
        if sections.count > 2 {
            files["tokenizer.json"] = Data(sections[2])
        } else {
            files["tokenizer_config.json"] = Data("{}".utf8)
        }
        let tokenizer = try BertTokenizer(files: files, model: "fuzz")
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
