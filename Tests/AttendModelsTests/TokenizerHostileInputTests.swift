import Foundation
import Testing

@testable import AttendModels

/// Tokenizers built from a stranger's vocabulary must return, in time proportional to the text,
/// or throw — the cases the fuzz harnesses `wordpiece` and `bpe` cover, pinned by hand.
@Suite("Tokenizers on hostile vocabularies and text")
struct TokenizerHostileInputTests {
    private func wordPiece(_ tokens: [String], unknown: String, maxInputCharsPerWord: Int = 100) -> WordPiece {
        var vocabulary: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = id }
        return WordPiece(
            tokens: tokens, vocabulary: vocabulary, unknownToken: unknown, continuingSubwordPrefix: "##",
            maxInputCharsPerWord: maxInputCharsPerWord)
    }

    @Test("a 20,000-scalar word against a short vocabulary segments in seconds, not hours")
    func longWordIsLinear() {
        // Greedy longest-match tried every end position (O(n²) lookups of O(n) strings, ~10¹² scalar
        // copies here); pieces longer than the longest token are no longer looked up (~10⁵). The
        // bound leaves room for a debug + ASan build on a loaded machine (6.9 s seen at 50,000).
        let model = wordPiece(["[UNK]", "a", "##a", "##aa"], unknown: "[UNK]", maxInputCharsPerWord: 1_000_000)
        let word = [Unicode.Scalar](repeating: "a", count: 20_001)
        var ids: [Int] = []
        let elapsed = ContinuousClock().measure { model.encode(word: word, into: &ids) }
        // "a", then 10,000 × "##aa" (longest first).
        #expect(ids.count == 10_001 && ids.first == 1 && ids.dropFirst().allSatisfy { $0 == 3 })
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }

    @Test("a decomposed piece still matches its precomposed vocabulary token (String equality is canonical)")
    func canonicalEquivalence() {
        // "é" is one scalar (U+00E9); the word is two (e, U+0301): the length bound is the NFD's.
        let model = wordPiece(["?", "\u{E9}"], unknown: "?")
        var ids: [Int] = []
        model.encode(word: ["e", "\u{301}"], into: &ids)
        #expect(ids == [1])
    }

    @Test("an empty special token in the vocabulary does not stall encoding")
    func emptySpecialToken() throws {
        let tokenizer = try BytePairEncoding(
            tokens: ["a", "b", "ab", ""], merges: ["a b"], specialTokenIDs: [3], preTokenizer: .gpt2)
        #expect(tokenizer.encode("abab") == [2, 2])
        #expect(tokenizer.encode("") == [])
    }

    @Test("a special token id outside the vocabulary is an error naming the id and the vocabulary size")
    func specialIDOutsideVocabulary() {
        let error = #expect(throws: TokenizerError.self) {
            try BytePairEncoding(tokens: ["a"], merges: [], specialTokenIDs: [7], preTokenizer: .gpt2)
        }
        #expect(error?.description == "tokenizer: special token id 7 is outside the vocabulary 0..<1")
    }
}
