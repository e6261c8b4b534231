import Foundation

/// The token ids of one text, with their strings.
public struct TokenizedText: Sendable, Equatable {
    public var ids: [Int]
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
    public let configuration: TokenizerConfiguration
    public let wordPiece: WordPiece
    public let classifierID: Int, separatorID: Int, paddingID: Int

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

    public var maxLength: Int { configuration.maxLength }

    /// The ids of `text`, `[CLS]` and `[SEP]` included, at most `maxLength` of them.
    public func encode(_ text: String) -> [Int] {
        var ids = [classifierID]
        for word in BertPreTokenizer.words(configuration.normalizer.normalized(text)) {
            wordPiece.encode(word: word, into: &ids)
            if ids.count > maxLength - 1 { break }
        }
        if ids.count > maxLength - 1 { ids.removeSubrange((maxLength - 1)...) }
        ids.append(separatorID)
        return ids
    }

    /// The ids and token strings of `text`.
    public func tokenize(_ text: String) -> TokenizedText {
        let ids = encode(text)
        return TokenizedText(ids: ids, tokens: ids.map { wordPiece.tokens[$0] })
    }
}
