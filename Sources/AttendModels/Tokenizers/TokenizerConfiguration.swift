import Foundation

/// What a BERT WordPiece tokenizer needs, read from a model folder:
///
/// - `vocab.txt` — one token a line, the id is the line number (required);
/// - `tokenizer.json` — the normalizer's flags (`BertNormalizer`), the WordPiece model's unknown
///   token, `##` prefix and word-length limit, the `[CLS] … [SEP]` template and the padding id;
/// - else `tokenizer_config.json` — `do_lower_case`, `tokenize_chinese_chars`, `strip_accents`
///   and the special token names (BERT's defaults for what is absent);
/// - the truncation length: `sentence_bert_config.json`'s `max_seq_length` when present (what
///   sentence-transformers uses), else tokenizer.json's truncation, else `model_max_length`.
public struct TokenizerConfiguration: Sendable {
    /// The text normalization before splitting (lower-casing, accent stripping, CJK spacing).
    public var normalizer: BertNormalizer
    /// The vocabulary: `tokens[id]` is the token with that id.
    public var tokens: [String]
    /// The token for a word WordPiece cannot cover (`[UNK]`).
    public var unknownToken: String
    /// The token that opens every sequence (`[CLS]`).
    public var classifierToken: String
    /// The token that closes every sequence (`[SEP]`).
    public var separatorToken: String
    /// The token that fills a batch's shorter sequences (`[PAD]`).
    public var paddingToken: String
    /// The prefix of a piece that continues a word (`##`).
    public var continuingSubwordPrefix: String
    /// A word longer than this many characters becomes the unknown token whole.
    public var maxInputCharsPerWord: Int
    /// Tokens per sequence including `[CLS]` and `[SEP]`.
    public var maxLength: Int

    /// Reads the tokenizer files of `directory`.
    /// - Throws: ``ModelError`` naming the missing or unusable file.
    public init(directory: URL, model: String = "minilm") throws {
        try self.init(folder: ModelFolder(directory, model: model))
    }

    /// Reads the same tokenizer files from memory: `files` maps a file name (`vocab.txt`,
    /// `tokenizer.json`, …) to its bytes — a folder that was downloaded or bundled without being
    /// written to disk. The parsing and the checks are those of ``init(directory:model:)``.
    /// - Throws: ``ModelError`` naming the missing or unusable file.
    public init(files: [String: Data], model: String = "minilm") throws {
        try self.init(folder: ModelFolder(files: files, model: model))
    }

    init(folder: ModelFolder) throws {
        let vocabFile = "vocab.txt"
        guard let text = String(data: try folder.data(vocabFile), encoding: .utf8) else {
            throw folder.invalid(vocabFile, "is not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if lines.last == "" { lines.removeLast() }
        tokens = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        guard !tokens.isEmpty else { throw folder.invalid(vocabFile, "is empty") }

        normalizer = BertNormalizer()
        unknownToken = "[UNK]"
        classifierToken = "[CLS]"
        separatorToken = "[SEP]"
        paddingToken = "[PAD]"
        continuingSubwordPrefix = "##"
        maxInputCharsPerWord = 100
        var length: Int?

        if let json = try folder.optionalJSONObject("tokenizer.json") {
            let file = "tokenizer.json"
            if let n = json["normalizer"] as? [String: Any] {
                let f = JSONFields(object: n, file: file, folder: folder)
                guard f.optionalString("type") == "BertNormalizer" else {
                    throw folder.invalid(
                        file, "normalizer type \(f.optionalString("type") ?? "none") is not BertNormalizer")
                }
                normalizer = BertNormalizer(
                    cleanText: f.optionalBool("clean_text") ?? true,
                    handleChineseCharacters: f.optionalBool("handle_chinese_chars") ?? true,
                    stripAccents: f.optionalBool("strip_accents"),
                    lowercase: f.optionalBool("lowercase") ?? true)
            }
            if let m = json["model"] as? [String: Any] {
                let f = JSONFields(object: m, file: file, folder: folder)
                guard f.optionalString("type") == "WordPiece" else {
                    throw folder.invalid(file, "model type \(f.optionalString("type") ?? "none") is not WordPiece")
                }
                unknownToken = f.optionalString("unk_token") ?? unknownToken
                continuingSubwordPrefix = f.optionalString("continuing_subword_prefix") ?? continuingSubwordPrefix
                maxInputCharsPerWord = try f.optionalInt("max_input_chars_per_word") ?? maxInputCharsPerWord
            }
            if let p = json["post_processor"] as? [String: Any], let single = p["single"] as? [[String: Any]] {
                let specials = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
                guard specials.count == 2, single.count == 3 else {
                    throw folder.invalid(file, "post_processor.single must be [CLS-like] $A [SEP-like]")
                }
                (classifierToken, separatorToken) = (specials[0], specials[1])
            }
            if let padding = json["padding"] as? [String: Any], let pad = padding["pad_token"] as? String {
                paddingToken = pad
            }
            if let truncation = json["truncation"] as? [String: Any] {
                length = try JSONFields(object: truncation, file: file, folder: folder).optionalInt("max_length")
            }
        } else if let json = try folder.optionalJSONObject("tokenizer_config.json") {
            let f = JSONFields(object: json, file: "tokenizer_config.json", folder: folder)
            normalizer = BertNormalizer(
                cleanText: true,
                handleChineseCharacters: f.optionalBool("tokenize_chinese_chars") ?? true,
                stripAccents: f.optionalBool("strip_accents"),
                lowercase: f.optionalBool("do_lower_case") ?? true)
            unknownToken = f.optionalString("unk_token") ?? unknownToken
            classifierToken = f.optionalString("cls_token") ?? classifierToken
            separatorToken = f.optionalString("sep_token") ?? separatorToken
            paddingToken = f.optionalString("pad_token") ?? paddingToken
            length = try f.optionalInt("model_max_length")
        } else {
            throw folder.missing("tokenizer.json", "nor tokenizer_config.json")
        }
        maxLength = try folder.sentenceTransformersMaxSequenceLength() ?? length ?? 512
        guard maxLength >= 2 else {
            throw folder.invalid(
                "sentence_bert_config.json", "max_seq_length \(maxLength) leaves no room for [CLS] and [SEP]")
        }
        for (role, token) in [
            ("unknown", unknownToken), ("classifier", classifierToken), ("separator", separatorToken),
            ("padding", paddingToken),
        ]
        where !tokens.contains(token) {
            throw folder.invalid(vocabFile, "has no \(role) token \(token)")
        }
    }
}
