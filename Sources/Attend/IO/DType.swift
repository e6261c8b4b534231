/// Element types the array file formats carry.
///
/// All multi-byte types are stored little-endian. `float16` is IEEE 754 binary16, `bfloat16` is the
/// upper 16 bits of an IEEE 754 binary32, and `bool` is one byte per element (0 = false, nonzero = true).
public enum DType: String, Sendable, CaseIterable {
    /// The element types, by the names NumPy gives them (`raw value` is that name): binary16, bfloat16,
    /// binary32, binary64, signed 32- and 64-bit integers, unsigned bytes and one-byte booleans.
    case float16, bfloat16, float32, float64, int32, int64, uint8, bool

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .uint8, .bool: 1
        case .float16, .bfloat16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// Whether the type is a floating-point type.
    var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        case .int32, .int64, .uint8, .bool: false
        }
    }

    // MARK: NumPy `descr` strings

    /// The little-endian NumPy `descr` for this type, or `nil` for `bfloat16`, which NumPy has no
    /// standard type string for.
    var npyDescr: String? {
        switch self {
        case .float16: "<f2"
        case .bfloat16: nil
        case .float32: "<f4"
        case .float64: "<f8"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .bool: "|b1"
        }
    }

    /// Parses a NumPy `descr` such as `'<f4'`. Returns the type and whether its bytes are big-endian.
    /// One-byte types accept any byte-order character (`|`, `<`, `>`), since order does not apply to them.
    static func fromNPYDescr(_ descr: String) -> (dtype: DType, bigEndian: Bool)? {
        let chars = Array(descr)
        guard chars.count == 3 else { return nil }
        let order = chars[0]
        let code = String(chars[1...])
        let dtype: DType
        switch code {
        case "f2": dtype = .float16
        case "f4": dtype = .float32
        case "f8": dtype = .float64
        case "i4": dtype = .int32
        case "i8": dtype = .int64
        case "u1": dtype = .uint8
        case "b1": dtype = .bool
        default: return nil
        }
        if dtype.byteWidth == 1 {
            guard order == "|" || order == "<" || order == ">" else { return nil }
            return (dtype, false)
        }
        switch order {
        case "<": return (dtype, false)
        case ">": return (dtype, true)
        default: return nil
        }
    }

    // MARK: safetensors dtype names

    /// The safetensors header name of this type (`"F32"`, `"BF16"`, `"BOOL"`, …).
    var safetensorsName: String {
        switch self {
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .float32: "F32"
        case .float64: "F64"
        case .int32: "I32"
        case .int64: "I64"
        case .uint8: "U8"
        case .bool: "BOOL"
        }
    }

    init?(safetensorsName name: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = match
    }
}
