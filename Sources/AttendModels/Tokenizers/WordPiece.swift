import Foundation

/// The WordPiece model: greedy longest-match-first segmentation of one word against a vocabulary.
///
///     "unaffable" → ["un", "##aff", "##able"]
///
/// From the start of the word, take the longest prefix in the vocabulary; continue from where it
/// ended with the longest `##`-prefixed piece, and so on. A word longer than
/// `maxInputCharsPerWord` scalars, or with a position where no piece matches, becomes the single
/// unknown token.
public struct WordPiece: Sendable {
    /// Token string → id (`vocab.txt`: the id is the line number, from 0).
    public let vocabulary: [String: Int]
    /// Id → token string.
    public let tokens: [String]
    /// The token a word becomes when it cannot be split (`[UNK]`).
    public let unknownToken: String
    /// The id of ``unknownToken``.
    public let unknownID: Int
    /// The prefix marking a piece that continues a word (`##`).
    public let continuingSubwordPrefix: String
    /// Words longer than this many Unicode scalars become ``unknownToken`` whole (100 in BERT).
    public let maxInputCharsPerWord: Int
    /// The most Unicode scalars a piece can have and still equal a vocabulary token: the longest
    /// token's canonical decomposition (`String` equality is canonical equivalence, and no string
    /// has more scalars than its NFD). Candidates longer than this are never looked up, so a word
    /// costs O(length · longest²), not O(length³).
    let longestTokenScalars: Int

    /// `unknownToken` must be in `vocabulary` (``TokenizerConfiguration`` checks it and throws first).
    init(
        tokens: [String], vocabulary: [String: Int], unknownToken: String, continuingSubwordPrefix: String,
        maxInputCharsPerWord: Int
    ) {
        precondition(
            vocabulary[unknownToken] != nil, "WordPiece: the unknown token \(unknownToken) must be in the vocabulary")
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownID = vocabulary[unknownToken]!
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        longestTokenScalars =
            vocabulary.keys.lazy.map { $0.decomposedStringWithCanonicalMapping.unicodeScalars.count }.max() ?? 0
    }

    /// The ids of one word's pieces, appended to `ids`.
    public func encode(word: [Unicode.Scalar], into ids: inout [Int]) {
        if word.count > maxInputCharsPerWord {
            ids.append(unknownID)
            return
        }
        let mark = ids.count
        var start = 0
        while start < word.count {
            var end = min(word.count, start + longestTokenScalars)
            var match: Int?
            while start < end {
                var candidate = start > 0 ? continuingSubwordPrefix : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                ids.removeSubrange(mark...)
                ids.append(unknownID)
                return
            }
            ids.append(match)
            start = end
        }
    }
}
