/// BERT's pre-tokenizer (`BertPreTokenizer`): splits normalized text on whitespace, and makes
/// every punctuation character a word of its own — ASCII 33–47, 58–64, 91–96, 123–126 (which
/// includes symbols such as `$`, `+`, `^` and the backtick) and every Unicode punctuation category P*.
///
///     "hello, world!"  →  ["hello", ",", "world", "!"]
public enum BertPreTokenizer {
    /// The words of `text`, in order, each as its Unicode scalars.
    public static func words(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty {
                words.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        for scalar in text.unicodeScalars {
            if BertNormalizer.isWhitespace(scalar) {
                flush()
            } else if isPunctuation(scalar) {
                flush()
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        flush()
        return words
    }

    /// ASCII punctuation and symbols, or Unicode punctuation (Pc Pd Ps Pe Pi Pf Po).
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default: break
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }
}
