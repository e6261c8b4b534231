/// A minimal JSON (RFC 8259) reader and writer for safetensors headers.
///
/// Numbers are kept as their source text so that integers of any size can be checked exactly
/// (and `3.0` or `1e3` told apart from `3` and `1000`). Objects keep their key order; duplicate
/// keys and nesting deeper than 64 levels are rejected.
indirect enum HeaderJSON: Equatable {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: HeaderJSON, rhs: HeaderJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    struct ParseError: Error, Equatable {
        var message: String
    }

    /// Parses one JSON value from UTF-8 bytes, allowing surrounding whitespace.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> HeaderJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// A short rendering for error messages, e.g. `[0, 40]`, `"F32"`, `3.5`.
    var rendered: String {
        switch self {
        case .object(let members):
            "{" + members.map { "\(HeaderJSON.quoted($0.key)): \($0.value.rendered)" }.joined(separator: ", ") + "}"
        case .array(let items): "[" + items.map(\.rendered).joined(separator: ", ") + "]"
        case .string(let text): HeaderJSON.quoted(text)
        case .number(let text): text
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    /// Compact JSON text (no spaces), as serde_json writes it.
    var serialized: String {
        switch self {
        case .object(let members):
            "{" + members.map { "\(HeaderJSON.quoted($0.key)):\($0.value.serialized)" }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.serialized).joined(separator: ",") + "]"
        default: rendered
        }
    }

    /// If this is a JSON integer (no fraction or exponent) that fits in `Int`, its value.
    var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// A JSON string literal: `"`, `\` and control characters escaped, everything else verbatim UTF-8.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        static let maximumDepth = 64

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        func error(_ message: String) -> ParseError {
            ParseError(message: "\(message) at byte \(position)")
        }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(ParseError) {
            skipWhitespace()
            guard current == byte else { throw error("expected \(what)") }
            position += 1
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> HeaderJSON {
            guard depth < Parser.maximumDepth else { throw error("JSON nested too deeply") }
            skipWhitespace()
            guard let byte = current else { throw error("unexpected end of JSON") }
            switch byte {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default: throw error("unexpected character '\(Unicode.Scalar(byte))'")
            }
        }

        mutating func literal(_ word: String) throws(ParseError) {
            for expected in word.utf8 {
                guard current == expected else { throw error("invalid literal") }
                position += 1
            }
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> HeaderJSON {
            position += 1  // {
            var members: [(key: String, value: HeaderJSON)] = []
            var keys = Set<String>()
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                guard keys.insert(key).inserted else { throw error("duplicate key \(HeaderJSON.quoted(key))") }
                try expect(UInt8(ascii: ":"), "':'")
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if current == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                throw error("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> HeaderJSON {
            position += 1  // [
            var items: [HeaderJSON] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if current == UInt8(ascii: "]") {
                    position += 1
                    return .array(items)
                }
                throw error("expected ',' or ']'")
            }
        }

        mutating func parseNumber() throws(ParseError) -> String {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, isDigit(first) else { throw error("invalid number") }
            position += 1
            if first != UInt8(ascii: "0") { while let byte = current, isDigit(byte) { position += 1 } }
            if current == UInt8(ascii: ".") {
                position += 1
                guard let byte = current, isDigit(byte) else { throw error("invalid number") }
                while let byte = current, isDigit(byte) { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard let byte = current, isDigit(byte) else { throw error("invalid number") }
                while let byte = current, isDigit(byte) { position += 1 }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func parseString() throws(ParseError) -> String {
            position += 1  // opening quote
            var utf8: [UInt8] = []
            while true {
                guard let byte = current else { throw error("unterminated string") }
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else {
                        throw error("string is not valid UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { throw error("unterminated string") }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"): utf8.append(contentsOf: Array(String(try parseUnicodeEscape()).utf8))
                    default: throw error("invalid escape in string")
                    }
                default:
                    guard byte >= 0x20 else { throw error("unescaped control character in string") }
                    utf8.append(byte)
                }
            }
        }

        /// After `\u`: four hex digits, combining a surrogate pair when one follows.
        mutating func parseUnicodeEscape() throws(ParseError) -> Unicode.Scalar {
            let first = try parseHex4()
            if (0xD800..<0xDC00).contains(first) {
                guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate in string") }
                position += 1
                guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate in string") }
                position += 1
                let second = try parseHex4()
                guard (0xDC00..<0xE000).contains(second) else { throw error("unpaired surrogate in string") }
                let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                guard let scalar = Unicode.Scalar(combined) else { throw error("invalid \\u escape") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(first) else { throw error("unpaired surrogate in string") }
            return scalar
        }

        mutating func parseHex4() throws(ParseError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current, let nibble = UInt32(String(Unicode.Scalar(byte)), radix: 16) else {
                    throw error("invalid \\u escape")
                }
                value = value << 4 | nibble
                position += 1
            }
            return value
        }
    }
}
