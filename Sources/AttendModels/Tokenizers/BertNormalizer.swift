import Foundation

/// BERT's text normalizer (`BertNormalizer` in tokenizer.json), applied before splitting:
///
/// 1. clean text — drop U+0000, U+FFFD and control characters (general category C*, except
///    tab, newline and carriage return); every whitespace character (those three, space, and
///    category Zs) becomes a space;
/// 2. CJK ideographs (the CJK Unified Ideographs blocks and their extensions, compatibility
///    ideographs) get a space on each side, so each becomes a word of its own;
/// 3. strip accents — canonical decomposition (NFD), then remove nonspacing marks (Mn);
/// 4. lowercase, one scalar at a time (no context-dependent rules such as final sigma).
///
/// `stripAccents` nil means "as `lowercase`" (the Hugging Face convention).
public struct BertNormalizer: Sendable, Equatable {
    /// Step 1: drop NUL, U+FFFD and control characters and turn every whitespace character into a space
    /// (`clean_text`).
    public var cleanText: Bool
    /// Step 2: a space on each side of every CJK ideograph (`handle_chinese_chars`).
    public var handleChineseCharacters: Bool
    /// Step 3: NFD, then remove nonspacing marks (`strip_accents`); nil means the same as ``lowercase``.
    public var stripAccents: Bool?
    /// Step 4: lowercase each scalar (`lowercase`; true for uncased models such as MiniLM).
    public var lowercase: Bool

    /// A normalizer with tokenizer.json's defaults (every step on, accents stripped because lowercasing).
    public init(
        cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true
    ) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalized text.
    public func normalized(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseCharacters, Self.isCJKIdeograph(scalar) {
                scalars.append(" ")
                scalars.append(scalar)
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        var result = String(scalars)
        if stripAccents ?? lowercase {
            let decomposed = result.decomposedStringWithCanonicalMapping.unicodeScalars
            result = String(
                String.UnicodeScalarView(decomposed.filter { $0.properties.generalCategory != .nonspacingMark }))
        }
        if lowercase {
            var lowered = ""
            lowered.unicodeScalars.reserveCapacity(result.unicodeScalars.count)
            for scalar in result.unicodeScalars { lowered += scalar.properties.lowercaseMapping }
            result = lowered
        }
        return result
    }

    /// Tab, newline, carriage return, space, or a space separator (Zs).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "\t", "\n", "\r": true
        default: s.properties.generalCategory == .spaceSeparator
        }
    }

    /// A character of general category C* (control, format, unassigned, private use, surrogate)
    /// other than tab, newline and carriage return.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK ideograph ranges of BERT's `_is_chinese_char`.
    static func isCJKIdeograph(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }
}
