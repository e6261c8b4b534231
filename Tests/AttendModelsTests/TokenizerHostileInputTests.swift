import Attend
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

    @Test("a 120,000-letter word against a chain of 600 merges encodes in time ~ n log n, not n × merges")
    func longWordAgainstMergeChain() throws {
        // The merges build every prefix of a random 600-letter pattern, and the word repeats the
        // pattern, so the rule runs hundreds of rounds. One scan of the word per round took 42 s for
        // a 32,000-letter word and 1,500 merges in the fuzz build (the bpe harness's input limit).
        var generator = SeededGenerator(seed: 7)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let pattern = String((0..<600).map { _ in letters[Int.random(in: 0..<letters.count, using: &generator)] })
        let prefixes = (2...pattern.count).map { String(pattern.prefix($0)) }
        var tokens = letters.map(String.init)
        for prefix in prefixes where !tokens.contains(prefix) { tokens.append(prefix) }
        let merges = prefixes.map { "\($0.dropLast()) \($0.last!)" }
        let tokenizer = try BytePairEncoding(tokens: tokens, merges: merges, specialTokenIDs: [], preTokenizer: .gpt2)
        let short = String(repeating: pattern, count: 2)
        #expect(tokenizer.encode(short) == Self.roundByRound(short, tokens: tokens, merges: merges))
        let word = String(repeating: pattern, count: 200)
        var ids: [Int] = []
        let elapsed = ContinuousClock().measure { ids = tokenizer.encode(word) }
        #expect(try tokenizer.decode(ids) == word)
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }

    @Test("every occurrence of the lowest-ranked pair merges before a pair that merging creates, even one ranked lower")
    func mergeRoundsFollowTheRule() throws {
        // "xy x" (rank 0) can only appear after "x y" (rank 1) merged: the rule merges both
        // "x y" in "xyxy" first, giving [xy, xy]; merging greedily by rank would give [xyx, y].
        let tokenizer = try BytePairEncoding(
            tokens: ["x", "y", "xy", "xyx"], merges: ["xy x", "x y"], specialTokenIDs: [], preTokenizer: .gpt2)
        #expect(tokenizer.encode("xyxy") == [2, 2])
        #expect(tokenizer.encode("xyxyx") == [2, 3])  // [xy, xy, x], then the next round: xy x → xyx
        #expect(tokenizer.encode("xxyy") == [0, 2, 1])
    }

    @Test("merging with a heap gives the rule's ids on random vocabularies and words")
    func mergesEqualTheRoundByRoundRule() throws {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<40 {
            var tokens = ["a", "b", "c"]
            var merges: [String] = []
            for _ in 0..<12 {
                let left = tokens[Int.random(in: 0..<tokens.count, using: &generator)]
                let right = tokens[Int.random(in: 0..<tokens.count, using: &generator)]
                guard left.count + right.count <= 6 else { continue }
                if !tokens.contains(left + right) { tokens.append(left + right) }
                merges.append("\(left) \(right)")
            }
            let tokenizer = try BytePairEncoding(
                tokens: tokens, merges: merges, specialTokenIDs: [], preTokenizer: .gpt2)
            for _ in 0..<10 {
                let word = String(
                    (0..<(1 + Int.random(in: 0..<40, using: &generator))).map { _ in
                        Array("abc")[Int.random(in: 0..<3, using: &generator)]
                    })
                let expected = Self.roundByRound(word, tokens: tokens, merges: merges)
                #expect(tokenizer.encode(word) == expected, "\(word) with merges \(merges)")
            }
        }
    }

    /// The rule as GPT-2 states it, on strings: find the lowest-ranked adjacent pair, merge it
    /// wherever it occurs from left to right, repeat.
    static func roundByRound(_ word: String, tokens: [String], merges: [String]) -> [Int] {
        var rank: [String: Int] = [:]
        for (r, merge) in merges.enumerated() where rank[merge] == nil { rank[merge] = r }
        var symbols = word.map(String.init)
        while true {
            let ranked = symbols.indices.dropLast().compactMap { k in
                rank["\(symbols[k]) \(symbols[k + 1])"].map { ($0, k) }
            }
            guard let best = ranked.min(by: { $0.0 < $1.0 }) else { break }
            let (left, right) = (symbols[best.1], symbols[best.1 + 1])
            var merged: [String] = []
            var k = 0
            while k < symbols.count {
                if k + 1 < symbols.count, symbols[k] == left, symbols[k + 1] == right {
                    merged.append(left + right)
                    k += 2
                } else {
                    merged.append(symbols[k])
                    k += 1
                }
            }
            symbols = merged
        }
        return symbols.map { tokens.firstIndex(of: $0)! }
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
