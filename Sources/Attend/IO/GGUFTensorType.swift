// swift-format-ignore: AlwaysUseLowerCamelCase
// The cases carry ggml's own type names (`q4_0` is `Q4_0` in every GGUF tool).

/// The element encodings of GGUF tensors that Attend reads, with their ggml type ids and block
/// layouts. Every value is dequantized exactly to `Float` (the f16 scales widen exactly; `d·q + m`
/// is one rounding in Float):
///
/// | type   | id | block | bytes | layout                                   | value            |
/// |--------|----|-------|-------|------------------------------------------|------------------|
/// | `F32`  | 0  | 1     | 4     | binary32                                 | x                |
/// | `F16`  | 1  | 1     | 2     | binary16                                 | x                |
/// | `Q4_0` | 2  | 32    | 18    | f16 d; 16 bytes of nibbles               | d·(q − 8)        |
/// | `Q4_1` | 3  | 32    | 20    | f16 d, f16 m; 16 bytes of nibbles        | d·q + m          |
/// | `Q8_0` | 8  | 32    | 34    | f16 d; 32 int8                           | d·q              |
///
/// In the 4-bit blocks byte `j` (0 ≤ j < 16) holds element `j` in its low nibble and element
/// `j + 16` in its high nibble (not elements 2j and 2j + 1).
public enum GGUFTensorType: UInt32, Sendable, CaseIterable {
    /// `F32` (ggml id 0): one little-endian binary32 per element, read as is.
    case f32 = 0
    /// `F16` (ggml id 1): one binary16 per element, widened exactly to `Float`.
    case f16 = 1
    /// `Q4_0` (ggml id 2): blocks of 32 in 18 bytes, value `d·(q − 8)` with `q` a 4-bit nibble.
    case q4_0 = 2
    /// `Q4_1` (ggml id 3): blocks of 32 in 20 bytes, value `d·q + m` with `q` a 4-bit nibble.
    case q4_1 = 3
    /// `Q8_0` (ggml id 8): blocks of 32 in 34 bytes, value `d·q` with `q` a signed byte.
    case q8_0 = 8

    /// The ggml name (`Q4_1`, …).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        }
    }

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q8_0: 34
        }
    }

    /// The names of the ggml types that exist but Attend does not read, for error messages.
    static func knownName(id: UInt32) -> String? {
        let names: [UInt32: String] = [
            6: "Q5_0", 7: "Q5_1", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
            16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
            23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
            34: "TQ1_0", 35: "TQ2_0",
        ]
        return names[id]
    }

    static let supportedNames = allCases.map(\.name).joined(separator: ", ")
}
