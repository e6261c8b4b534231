// swift-format-ignore: AlwaysUseLowerCamelCase
// The cases carry ggml's own type names (`q4_0` is `Q4_0` in every GGUF tool).

/// The element encodings of GGUF tensors that Attend reads, with their ggml type ids and block
/// layouts (llama.cpp's `ggml-common.h`). Values are computed in `Float` with the operations the
/// `value` column shows, in that order and unfused (the f16 scales widen exactly), which gives
/// the same bits as the `gguf` Python package's dequantizer:
///
/// | type   | id | block | bytes | layout                                             | value             |
/// |--------|----|-------|-------|----------------------------------------------------|-------------------|
/// | `F32`  | 0  | 1     | 4     | binary32                                           | x                 |
/// | `F16`  | 1  | 1     | 2     | binary16                                           | x                 |
/// | `Q4_0` | 2  | 32    | 18    | f16 d; 16 bytes of nibbles                         | d·(q − 8)         |
/// | `Q4_1` | 3  | 32    | 20    | f16 d, f16 m; 16 bytes of nibbles                  | d·q + m           |
/// | `Q5_0` | 6  | 32    | 22    | f16 d; u32 fifth bits; 16 bytes of nibbles         | d·(q − 16)        |
/// | `Q5_1` | 7  | 32    | 24    | f16 d, f16 m; u32 fifth bits; 16 bytes of nibbles  | d·q + m           |
/// | `Q8_0` | 8  | 32    | 34    | f16 d; 32 int8                                     | d·q               |
/// | `Q4_K` | 12 | 256   | 144   | f16 d, f16 dmin; 12 bytes of 6-bit scales and mins; 128 bytes of nibbles | (d·sc)·q − dmin·m |
/// | `Q5_K` | 13 | 256   | 176   | as Q4_K, with 32 bytes of fifth bits before the nibbles | (d·sc)·q − dmin·m |
/// | `Q6_K` | 14 | 256   | 210   | 128 bytes of low nibbles; 64 bytes of 2-bit highs; 16 int8 scales; f16 d | (d·sc)·(q − 32) |
/// | `BF16` | 30 | 1     | 2     | the top 16 bits of a binary32                      | x                 |
///
/// In the 32-element blocks byte `j` (0 ≤ j < 16) holds element `j` in its low nibble and element
/// `j + 16` in its high nibble (not elements 2j and 2j + 1); the K-quants' sub-blocks (8 of 32
/// for Q4_K/Q5_K with a scale and a min each, 16 of 16 for Q6_K with a scale each) are laid out
/// as `_AttendKernels/family/quantized_more.h` describes.
public enum GGUFTensorType: UInt32, Sendable, CaseIterable {
    /// `F32` (ggml id 0): one little-endian binary32 per element, read as is.
    case f32 = 0
    /// `F16` (ggml id 1): one binary16 per element, widened exactly to `Float`.
    case f16 = 1
    /// `Q4_0` (ggml id 2): blocks of 32 in 18 bytes, value `d·(q − 8)` with `q` a 4-bit nibble.
    case q4_0 = 2
    /// `Q4_1` (ggml id 3): blocks of 32 in 20 bytes, value `d·q + m` with `q` a 4-bit nibble.
    case q4_1 = 3
    /// `Q5_0` (ggml id 6): blocks of 32 in 22 bytes, value `d·(q − 16)` with `q` 5 bits.
    case q5_0 = 6
    /// `Q5_1` (ggml id 7): blocks of 32 in 24 bytes, value `d·q + m` with `q` 5 bits.
    case q5_1 = 7
    /// `Q8_0` (ggml id 8): blocks of 32 in 34 bytes, value `d·q` with `q` a signed byte.
    case q8_0 = 8
    /// `Q4_K` (ggml id 12): super-blocks of 256 in 144 bytes, 8 sub-blocks with 6-bit scales and mins.
    case q4_K = 12
    /// `Q5_K` (ggml id 13): super-blocks of 256 in 176 bytes, Q4_K with a fifth bit per value.
    case q5_K = 13
    /// `Q6_K` (ggml id 14): super-blocks of 256 in 210 bytes, 16 sub-blocks with int8 scales.
    case q6_K = 14
    /// `BF16` (ggml id 30): bfloat16, the top half of a binary32, widened exactly.
    case bf16 = 30

    /// The ggml name (`Q4_1`, …).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .bf16: "BF16"
        }
    }

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: 32
        case .q4_K, .q5_K, .q6_K: 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q5_0: 22
        case .q5_1: 24
        case .q8_0: 34
        case .q4_K: 144
        case .q5_K: 176
        case .q6_K: 210
        }
    }

    /// The ggml types Attend does not compute with, by id: name, elements per block, bytes per block
    /// (the `gguf` package's `GGML_QUANT_SIZES`). A file holding them can still be listed — the
    /// sizes let the reader check where each tensor's bytes lie — and their tensors are reported
    /// as such (``GGUFFile/otherTensors``).
    static let otherLayouts: [UInt32: (name: String, blockSize: Int, blockBytes: Int)] = [
        9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 15: ("Q8_K", 256, 292),
        16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
        20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
        24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
        29: ("IQ1_M", 256, 56), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
    ]

    static let supportedNames = allCases.map(\.name).joined(separator: ", ")

    /// Whether the type is stored in blocks (quantized) rather than one element at a time.
    public var isBlockQuantized: Bool { blockSize > 1 }
}
