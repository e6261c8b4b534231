/// One metadata value of a GGUF file.
///
/// GGUF value type ids: 0 `UINT8`, 1 `INT8`, 2 `UINT16`, 3 `INT16`, 4 `UINT32`, 5 `INT32`,
/// 6 `FLOAT32`, 7 `BOOL`, 8 `STRING` (u64 byte length + UTF-8 bytes), 9 `ARRAY` (u32 element type,
/// u64 count, elements), 10 `UINT64`, 11 `INT64`, 12 `FLOAT64`; all little-endian.
public enum GGUFValue: Sendable, Equatable {
    /// GGUF type 0, `UINT8`.
    case uint8(UInt8)
    /// GGUF type 1, `INT8`.
    case int8(Int8)
    /// GGUF type 2, `UINT16`.
    case uint16(UInt16)
    /// GGUF type 3, `INT16`.
    case int16(Int16)
    /// GGUF type 4, `UINT32`.
    case uint32(UInt32)
    /// GGUF type 5, `INT32`.
    case int32(Int32)
    /// GGUF type 10, `UINT64`.
    case uint64(UInt64)
    /// GGUF type 11, `INT64`.
    case int64(Int64)
    /// GGUF type 6, `FLOAT32`.
    case float32(Float)
    /// GGUF type 12, `FLOAT64`.
    case float64(Double)
    /// GGUF type 7, `BOOL` (one byte; nonzero is true).
    case bool(Bool)
    /// GGUF type 8, `STRING`: a u64 byte length, then that many bytes of UTF-8.
    case string(String)
    /// Elements of one type.
    case array([GGUFValue])

    /// The value as an `Int` when it is an integer of any width that fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(exactly: v)
        default: nil
        }
    }

    /// The value as a `Double` when it is a number (integer or floating point).
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    /// The value when it is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value when it is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The GGUF name of the value's type (`UINT32`, `STRING`, `ARRAY[STRING]`, …).
    public var typeName: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float32: "FLOAT32"
        case .float64: "FLOAT64"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array(let a): "ARRAY[\(a.first?.typeName ?? "")]"
        }
    }

    /// A short rendering for listings: scalars in full, strings up to `limit` characters, arrays
    /// as their length and first elements.
    public func summary(limit: Int = 60) -> String {
        switch self {
        case .uint8(let v): "\(v)"
        case .int8(let v): "\(v)"
        case .uint16(let v): "\(v)"
        case .int16(let v): "\(v)"
        case .uint32(let v): "\(v)"
        case .int32(let v): "\(v)"
        case .uint64(let v): "\(v)"
        case .int64(let v): "\(v)"
        case .float32(let v): "\(v)"
        case .float64(let v): "\(v)"
        case .bool(let v): "\(v)"
        case .string(let s):
            HeaderJSON.quoted(s.count > limit ? String(s.prefix(limit)) + "…" : s)
        case .array(let a):
            "[\(a.count) × \(a.first?.typeName ?? "?")] "
                + a.prefix(4).map { $0.summary(limit: 20) }.joined(separator: ", ") + (a.count > 4 ? ", …" : "")
        }
    }
}
