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
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's split pattern (shown above), alternatives in order.
    case gpt2
    /// Every number character a piece of its own, then the GPT-2 pattern between them (SmolLM, SmolLM2).
    case smollm

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
        // `\s+(?!\S)`: the whitespace run, giving back its last scalar if a non-space follows;
        // then `\s+`.
        var j = i
        while j < end, isSpace(t[j]) { j += 1 }
        if j == end || j - i == 1 { return j - i }
        return j - i - 1
    }
}
