import Foundation

/// The token ids of one text, with their strings.
public struct TokenizedText: Sendable, Equatable {
    /// The ids, `[CLS]` first and `[SEP]` last.
    public var ids: [Int]
    /// The vocabulary string of each id (`##` marks a piece continuing a word).
    public var tokens: [String]
}

/// A BERT WordPiece tokenizer driven by a model folder's files:
///
///     text → BertNormalizer → BertPreTokenizer (words) → WordPiece (pieces)
///          → [CLS] pieces[..<maxLength − 2] [SEP]
///
/// Truncation keeps the first `maxLength − 2` pieces. Padding is the caller's (the batch pads
/// with ``paddingID`` and masks those keys).
public struct BertTokenizer: Sendable {
    /// The folder's vocabulary, special tokens, normalizer settings and maximum length.
    public let configuration: TokenizerConfiguration
    /// The greedy longest-match-first splitter of one word into vocabulary pieces.
    public let wordPiece: WordPiece
    /// The ids of `[CLS]` (first), `[SEP]` (last) and `[PAD]` (what a batch pads with, masked out).
    public let classifierID: Int, separatorID: Int, paddingID: Int

    /// A tokenizer from a checked configuration (its special tokens are in the vocabulary).
    /// - SeeAlso: ``init(directory:model:)``
    public init(configuration: TokenizerConfiguration) {
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(configuration.tokens.count)
        for (id, token) in configuration.tokens.enumerated() where vocabulary[token] == nil {
            vocabulary[token] = id  // the first line wins for a duplicated token
        }
        self.configuration = configuration
        wordPiece = WordPiece(
            tokens: configuration.tokens, vocabulary: vocabulary, unknownToken: configuration.unknownToken,
            continuingSubwordPrefix: configuration.continuingSubwordPrefix,
            maxInputCharsPerWord: configuration.maxInputCharsPerWord)
        // TokenizerConfiguration checked that the special tokens are in the vocabulary.
        classifierID = vocabulary[configuration.classifierToken]!
        separatorID = vocabulary[configuration.separatorToken]!
        paddingID = vocabulary[configuration.paddingToken]!
    }

    /// Reads the tokenizer of a model folder (see ``TokenizerConfiguration``).
    /// - Throws: ``ModelError``.
    public init(directory: URL, model: String = "minilm") throws {
        self.init(configuration: try TokenizerConfiguration(directory: directory, model: model))
    }

    /// Reads the tokenizer from a model folder's files held in memory (file name → bytes; see
    /// ``TokenizerConfiguration/init(files:model:)``).
    /// - Throws: ``ModelError``.
    public init(files: [String: Data], model: String = "minilm") throws {
        self.init(configuration: try TokenizerConfiguration(files: files, model: model))
    }

    /// The most ids ``encode(_:)`` returns, special tokens included (the model's `max_seq_length`).
    public var maxLength: Int { configuration.maxLength }

    /// The ids of `text`, `[CLS]` and `[SEP]` included, at most `maxLength` of them.
    public func encode(_ text: String) -> [Int] {
        encode(text, truncating: true)
    }

    /// The ids of `text`, `[CLS]` and `[SEP]` included: at most `maxLength` of them when
    /// `truncating` (the first `maxLength − 2` pieces kept), otherwise all of them — for a caller
    /// that refuses a text over the limit rather than cutting it.
    public func encode(_ text: String, truncating: Bool) -> [Int] {
        var ids = [classifierID]
        for word in BertPreTokenizer.words(configuration.normalizer.normalized(text)) {
            wordPiece.encode(word: word, into: &ids)
            if truncating, ids.count > maxLength - 1 { break }
        }
        if truncating, ids.count > maxLength - 1 { ids.removeSubrange((maxLength - 1)...) }
        ids.append(separatorID)
        return ids
    }

    /// The ids and token strings of `text`.
    public func tokenize(_ text: String) -> TokenizedText {
        let ids = encode(text)
        return TokenizedText(ids: ids, tokens: ids.map { wordPiece.tokens[$0] })
    }
}
