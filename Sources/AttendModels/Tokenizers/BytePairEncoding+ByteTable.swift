/// GPT-2's reversible byte ↔ character table for byte-level BPE: the 188 printable bytes
/// (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves and the other 68 (controls, space, DEL,
/// NBSP, soft hyphen …) map in byte order to U+0100, U+0101, … — so a space is `Ġ` (U+0120)
/// and a newline `Ċ` (U+010A). Every byte string becomes a printable string and back.
enum ByteLevelTable {
    /// `characters[b]` is the scalar standing for byte b.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar stands for, or nil if it is not in the table.
    static let bytes: [Unicode.Scalar: UInt8] = {
        var inverse: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { inverse[scalar] = UInt8(byte) }
        return inverse
    }()
}
