/// Turns token bytes that arrive one token at a time into text without ever splitting a
/// character: bytes of a UTF-8 sequence that is not yet complete are held back until the
/// tokens that finish it arrive (an emoji is often 2–4 byte-level tokens).
///
///     var stream = StreamingTextDecoder()
///     for id in generated { print(stream.append(try tokenizer.bytes(of: [id])), terminator: "") }
///     print(stream.finish())
///
/// The concatenation of everything returned equals `String(decoding: allBytes, as: UTF8.self)`:
/// invalid sequences become U+FFFD, and an incomplete sequence at the end is flushed by ``finish()``.
public struct StreamingTextDecoder: Sendable {
    private var pending: [UInt8] = []

    /// A decoder with no bytes held back.
    public init() {}

    /// Adds bytes; returns the text of every character now complete.
    public mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// The text of the bytes still held back (U+FFFD for an unfinished sequence).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix that does not end inside a UTF-8 sequence that could
    /// still be completed by more bytes.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back at most 3 bytes for the lead byte of the last sequence.
        var k = n - 1
        while k >= 0, k >= n - 4 {
            let byte = bytes[k]
            if byte & 0xC0 != 0x80 {  // a lead byte or ASCII
                let needed =
                    byte < 0x80
                    ? 1
                    : byte >= 0xF0 && byte <= 0xF4
                        ? 4 : byte >= 0xE0 && byte < 0xF0 ? 3 : byte >= 0xC2 && byte < 0xE0 ? 2 : 1
                return n - k < needed ? k : n
            }
            k -= 1
        }
        return n
    }
}
