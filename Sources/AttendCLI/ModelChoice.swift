import AttendModels
import Foundation

/// What `--model` names for `attend embed` and `attend tokenize`: a cached model by name
/// (`minilm`, the default; the cache rule is ``ModelCache``'s) or a folder path.
struct ModelChoice {
    /// The name in messages and JSON output (`minilm`, or the folder path as given).
    let name: String
    /// The cache name whose fetch command messages suggest.
    let cacheName: String
    let directory: URL

    static let defaultName = "minilm"

    /// Which model kinds `attend tokenize` knows. One case per tokenizer family; a new kind
    /// (e.g. a GGUF byte-level BPE model) adds a case here and a branch in ``resolve(_:)``.
    enum Kind {
        /// A BERT WordPiece folder (vocab.txt, tokenizer.json / tokenizer_config.json).
        case bertWordPiece
        /// A GGUF file whose metadata carries a GPT-2 byte-level BPE tokenizer (SmolLM2).
        case ggufBytePairEncoding
    }

    /// The kind of model `name` is, and where it lives.
    static func resolve(_ option: String?) -> (choice: ModelChoice, kind: Kind) {
        switch option ?? defaultName {
        case "minilm":
            return (
                ModelChoice(name: "minilm", cacheName: "minilm", directory: ModelCache.directory(for: "minilm")),
                .bertWordPiece
            )
        case "smollm2":
            return (
                ModelChoice(name: "smollm2", cacheName: "smollm2", directory: ModelCache.directory(for: "smollm2")),
                .ggufBytePairEncoding
            )
        case let path where path.lowercased().hasSuffix(".gguf"):
            // A GGUF file: a byte-level BPE tokenizer in its metadata.
            return (
                ModelChoice(name: path, cacheName: "smollm2", directory: URL(fileURLWithPath: path)),
                .ggufBytePairEncoding
            )
        case let path:
            // A folder: a BERT sentence-transformers layout.
            return (
                ModelChoice(
                    name: path, cacheName: defaultName, directory: URL(fileURLWithPath: path, isDirectory: true)),
                .bertWordPiece
            )
        }
    }
}
