/// The pre-tokenizers of byte-level BPE: how text is cut into pieces before BPE runs on each.
///
/// `gpt2` is GPT-2's split pattern, implemented here by hand over Unicode scalars with the
/// Unicode properties (L = letters, N = numbers, s = White_Space), alternatives tried in order
/// at each position as a backtracking regex engine would:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `smollm` (SmolLM/SmolLM2, Hugging Face's `Digits(individual_digits=True)` then `ByteLevel`)
/// first makes every number character a piece of its own, then applies the GPT-2 pattern to the
/// text between them.
///
/// `llama-bpe` is Llama 3's pattern, which keeps one leading non-letter with a word, groups
/// numbers in threes and keeps line breaks together:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// `qwen2` is the same with every number character alone (`\p{N}` for `\p{N}{1,3}`). The raw
/// values are the names llama.cpp writes to `tokenizer.ggml.pre`; ``init(ggufName:)`` also reads
/// the other spellings llama.cpp maps to the same pattern (`gpt-2`; `llama3`, `llama-v3`).
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's split pattern (shown above), alternatives in order.
    case gpt2
    /// Every number character a piece of its own, then the GPT-2 pattern between them (SmolLM, SmolLM2).
    case smollm
    /// Llama 3's pattern (shown above): numbers in groups of up to three.
    case llamaBPE = "llama-bpe"
    /// Qwen2's pattern: Llama 3's with every number character a piece of its own.
    case qwen2

    /// The pre-tokenizer a GGUF file's `tokenizer.ggml.pre` names, or nil.
    public init?(ggufName: String) {
        let aliases = ["gpt-2": Self.gpt2, "llama3": .llamaBPE, "llama-v3": .llamaBPE]
        guard let value = aliases[ggufName] ?? Self(rawValue: ggufName) else { return nil }
        self = value
    }

    /// The pieces of `text`, in order; their concatenation is `text`.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [String] = []
        switch self {
        case .gpt2:
            Self.gpt2Split(scalars[...], into: &pieces)
        case .smollm:
            var start = 0
            for (i, scalar) in scalars.enumerated() where Self.isNumber(scalar) {
                if i > start { Self.gpt2Split(scalars[start..<i], into: &pieces) }
                pieces.append(String(String.UnicodeScalarView([scalar])))
                start = i + 1
            }
            if start < scalars.count { Self.gpt2Split(scalars[start...], into: &pieces) }
        case .llamaBPE, .qwen2:
            let digits = self == .qwen2 ? 1 : 3
            var i = 0
            while i < scalars.count {
                let length = Self.llama3Match(scalars[...], at: i, digitRun: digits)
                pieces.append(String(String.UnicodeScalarView(scalars[i..<(i + length)])))
                i += length
            }
        }
        return pieces
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// Neither space, letter nor number: `[^\s\p{L}\p{N}]`.
    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }

    private static func gpt2Split(_ text: ArraySlice<Unicode.Scalar>, into pieces: inout [String]) {
        var i = text.startIndex
        let end = text.endIndex
        while i < end {
            let length = gpt2Match(text, at: i)
            pieces.append(String(String.UnicodeScalarView(text[i..<(i + length)])))
            i += length
        }
    }

    /// The length of the pattern's match at `i` (always ≥ 1: `\s+` or a single scalar of a class).
    private static func gpt2Match(_ t: ArraySlice<Unicode.Scalar>, at i: Int) -> Int {
        let end = t.endIndex
        // 's 't 're 've 'm 'll 'd
        if t[i] == "'", i + 1 < end {
            let a = t[i + 1]
            if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
            if i + 2 < end {
                let b = t[i + 2]
                if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return 3 }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        for klass in [isLetter, isNumber, isOther] as [(Unicode.Scalar) -> Bool] {
            var j = i
            if t[j] == " ", j + 1 < end, klass(t[j + 1]) { j += 1 }
            if klass(t[j]) {
                while j < end, klass(t[j]) { j += 1 }
                return j - i
            }
        }
        return whitespaceMatch(t, at: i)
    }

    /// `\s+(?!\S)|\s+` at `i`: the whitespace run, giving back its last scalar if a non-space
    /// follows (so that scalar can lead the next word), unless the run is that one scalar.
    private static func whitespaceMatch(_ t: ArraySlice<Unicode.Scalar>, at i: Int) -> Int {
        var j = i
        while j < t.endIndex, isSpace(t[j]) { j += 1 }
        if j == t.endIndex || j - i <= 1 { return Swift.max(j - i, 1) }
        return j - i - 1
    }

    static func isLineBreak(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    /// The length of Llama 3's pattern's match at `i` (numbers in runs of at most `digitRun`).
    private static func llama3Match(_ t: ArraySlice<Unicode.Scalar>, at i: Int, digitRun: Int) -> Int {
        let end = t.endIndex
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if t[i] == "'", i + 1 < end {
            let a = t[i + 1].properties.lowercaseMapping
            if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
            if i + 2 < end {
                let pair = a + t[i + 2].properties.lowercaseMapping
                if pair == "re" || pair == "ve" || pair == "ll" { return 3 }
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        var j = i
        if !isLineBreak(t[j]), !isLetter(t[j]), !isNumber(t[j]), j + 1 < end, isLetter(t[j + 1]) { j += 1 }
        if isLetter(t[j]) {
            while j < end, isLetter(t[j]) { j += 1 }
            return j - i
        }
        // \p{N}{1,digitRun}
        if isNumber(t[i]) {
            j = i
            while j < end, j - i < digitRun, isNumber(t[j]) { j += 1 }
            return j - i
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        j = i
        if t[j] == " ", j + 1 < end, isOther(t[j + 1]) { j += 1 }
        if isOther(t[j]) {
            while j < end, isOther(t[j]) { j += 1 }
            while j < end, isLineBreak(t[j]) { j += 1 }
            return j - i
        }
        // \s*[\r\n]+: the whitespace run up to and including its last line break
        j = i
        var lastBreak: Int?
        while j < end, isSpace(t[j]) {
            if isLineBreak(t[j]) { lastBreak = j }
            j += 1
        }
        if let lastBreak { return lastBreak + 1 - i }
        return whitespaceMatch(t, at: i)
    }
}
