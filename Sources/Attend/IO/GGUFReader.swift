/// A bounds-checked little-endian cursor over the bytes of an untrusted GGUF file: every read
/// checks that its bytes exist, every count is checked against the bytes left before anything
/// is allocated for it.
struct GGUFReader {
    let raw: UnsafeRawBufferPointer
    let file: String
    var position = 0

    var remaining: Int { raw.count - position }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(FileFormatError)
        -> T
    {
        let width = MemoryLayout<T>.size
        guard remaining >= width else {
            throw .malformed(
                file,
                "file is truncated: \(what()) needs \(width) bytes at offset \(position) but the file has \(raw.count) bytes"
            )
        }
        let value = LittleEndianBytes.load(T.self, from: raw, at: position)
        position += width
        return value
    }

    /// A u64 count or length whose `unit`-byte items must fit in the bytes left after it.
    ///
    /// The bound is taken after the count itself is read: a length that also claims the count's
    /// own 8 bytes would run past the end of the file (found by the `bpe` fuzz harness: a string
    /// read 8 bytes beyond the buffer).
    mutating func count(_ what: @autoclosure () -> String, unit: Int = 1) throws(FileFormatError) -> Int {
        let start = position
        let declared = try integer(UInt64.self, what())
        guard declared <= UInt64(Int.max), Int(declared) <= remaining / Swift.max(unit, 1) else {
            throw .malformed(
                file,
                "\(what()) is \(declared) at offset \(start), more than the \(remaining) bytes left in the file can hold"
            )
        }
        return Int(declared)
    }

    /// A GGUF string: u64 byte length, then that many bytes of UTF-8.
    mutating func string(_ what: @autoclosure () -> String) throws(FileFormatError) -> String {
        let length = try count("the length of \(what())")
        let bytes = UnsafeRawBufferPointer(rebasing: raw[position..<(position + length)])
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformed(file, "\(what()) at offset \(position) is not valid UTF-8")
        }
        position += length
        return text
    }

    /// A value of GGUF type `type` (see ``GGUFValue``); arrays nest at most `depth` levels.
    mutating func value(type: UInt32, _ what: String, depth: Int = 0) throws(FileFormatError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try integer(UInt8.self, what))
        case 1: return .int8(try integer(Int8.self, what))
        case 2: return .uint16(try integer(UInt16.self, what))
        case 3: return .int16(try integer(Int16.self, what))
        case 4: return .uint32(try integer(UInt32.self, what))
        case 5: return .int32(try integer(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try integer(UInt32.self, what)))
        case 7:
            let byte = try integer(UInt8.self, what)
            guard byte <= 1 else {
                throw .malformed(
                    file, "\(what) is a BOOL with byte value \(byte) at offset \(position - 1); expected 0 or 1")
            }
            return .bool(byte == 1)
        case 8: return .string(try string(what))
        case 9:
            guard depth < 4 else { throw .malformed(file, "\(what) nests arrays more than 4 levels deep") }
            let elementType = try integer(UInt32.self, "the element type of \(what)")
            guard let width = Self.minimumWidth(of: elementType) else {
                throw .malformed(file, "\(what) is an array of unknown value type \(elementType) (GGUF types are 0…12)")
            }
            let n = try count("the element count of \(what)", unit: width)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(n)
            for i in 0..<n {
                elements.append(try value(type: elementType, "element \(i) of \(what)", depth: depth + 1))
            }
            return .array(elements)
        case 10: return .uint64(try integer(UInt64.self, what))
        case 11: return .int64(try integer(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try integer(UInt64.self, what)))
        default:
            throw .malformed(file, "\(what) has unknown value type \(type) (GGUF types are 0…12)")
        }
    }

    /// The fewest bytes one value of `type` occupies (strings: their 8-byte length; arrays: type + count).
    static func minimumWidth(of type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: nil
        }
    }
}
