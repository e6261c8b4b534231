/// The subset of Python literal syntax that NumPy writes into `.npy` headers: dicts, tuples, lists,
/// strings (single or double quoted, with backslash escapes), integers (an optional Python 2 `L`
/// suffix is accepted), `True`, `False` and `None`. Nothing is evaluated.
indirect enum PythonLiteral: Equatable {
    case dict([DictEntry])
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none

    struct DictEntry: Equatable {
        var key: PythonLiteral
        var value: PythonLiteral
    }

    struct ParseError: Error, Equatable {
        var message: String
    }

    /// Parses exactly one literal, surrounded by optional whitespace.
    static func parse(_ text: String) throws(ParseError) -> PythonLiteral {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.isAtEnd else { throw parser.error("unexpected text after the literal") }
        return value
    }

    /// Python's `repr`-like rendering, used in error messages.
    var rendered: String {
        switch self {
        case .dict(let entries):
            "{" + entries.map { "\($0.key.rendered): \($0.value.rendered)" }.joined(separator: ", ") + "}"
        case .tuple(let items):
            items.count == 1 ? "(\(items[0].rendered),)" : "(" + items.map(\.rendered).joined(separator: ", ") + ")"
        case .list(let items): "[" + items.map(\.rendered).joined(separator: ", ") + "]"
        case .string(let text): "'\(text)'"
        case .int(let value): String(value)
        case .bool(let value): value ? "True" : "False"
        case .none: "None"
        }
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        static let maximumDepth = 32

        var isAtEnd: Bool { position >= scalars.count }
        var current: Unicode.Scalar? { isAtEnd ? nil : scalars[position] }

        func error(_ message: String) -> ParseError {
            ParseError(message: "\(message) at character \(position)")
        }

        mutating func skipWhitespace() {
            while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                position += 1
            }
        }

        mutating func expect(_ scalar: Unicode.Scalar) throws(ParseError) {
            skipWhitespace()
            guard current == scalar else { throw error("expected '\(scalar)'") }
            position += 1
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> PythonLiteral {
            guard depth < Parser.maximumDepth else { throw error("literal nested too deeply") }
            skipWhitespace()
            guard let scalar = current else { throw error("unexpected end of header") }
            switch scalar {
            case "{": return try parseDict(depth: depth)
            case "(":
                let (items, sawComma) = try parseSequence(open: "(", close: ")", depth: depth)
                // `(x)` is just a parenthesised value; `(x,)` is a 1-tuple.
                if items.count == 1 && !sawComma { return items[0] }
                return .tuple(items)
            case "[": return .list(try parseSequence(open: "[", close: "]", depth: depth).items)
            case "'", "\"": return .string(try parseString())
            case "-", "+", "0"..."9": return .int(try parseInt())
            default: return try parseName()
            }
        }

        mutating func parseDict(depth: Int) throws(ParseError) -> PythonLiteral {
            try expect("{")
            var entries: [DictEntry] = []
            while true {
                skipWhitespace()
                if current == "}" {
                    position += 1
                    break
                }
                let key = try parseValue(depth: depth + 1)
                if entries.contains(where: { $0.key == key }) { throw error("duplicate key \(key.rendered)") }
                try expect(":")
                let value = try parseValue(depth: depth + 1)
                entries.append(DictEntry(key: key, value: value))
                skipWhitespace()
                if current == "," {
                    position += 1
                    continue
                }
                if current == "}" {
                    position += 1
                    break
                }
                throw error("expected ',' or '}'")
            }
            return .dict(entries)
        }

        mutating func parseSequence(open: Unicode.Scalar, close: Unicode.Scalar, depth: Int)
            throws(ParseError) -> (items: [PythonLiteral], sawComma: Bool)
        {
            try expect(open)
            var items: [PythonLiteral] = []
            var sawComma = false
            while true {
                skipWhitespace()
                if current == close {
                    position += 1
                    break
                }
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == "," {
                    position += 1
                    sawComma = true
                    continue
                }
                if current == close {
                    position += 1
                    break
                }
                throw error("expected ',' or '\(close)'")
            }
            return (items, sawComma)
        }

        mutating func parseString() throws(ParseError) -> String {
            guard let quote = current else { throw error("expected a string") }
            position += 1
            var text = String.UnicodeScalarView()
            while true {
                guard let scalar = current else { throw error("unterminated string") }
                position += 1
                if scalar == quote { break }
                if scalar == "\n" { throw error("line break inside a string") }
                if scalar != "\\" {
                    text.append(scalar)
                    continue
                }
                guard let escaped = current else { throw error("unterminated string") }
                position += 1
                switch escaped {
                case "\\", "'", "\"": text.append(escaped)
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "0": text.append("\0")
                case "x": text.append(try parseHexScalar(digits: 2))
                case "u": text.append(try parseHexScalar(digits: 4))
                case "U": text.append(try parseHexScalar(digits: 8))
                default: throw error("unsupported escape '\\\(escaped)'")
                }
            }
            return String(text)
        }

        mutating func parseHexScalar(digits: Int) throws(ParseError) -> Unicode.Scalar {
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let scalar = current, scalar.isASCII, let nibble = UInt32(String(scalar), radix: 16) else {
                    throw error("bad hexadecimal escape")
                }
                value = value << 4 | nibble
                position += 1
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("escape is not a Unicode scalar") }
            return scalar
        }

        mutating func parseInt() throws(ParseError) -> Int {
            var negative = false
            if current == "-" || current == "+" {
                negative = current == "-"
                position += 1
            }
            var value = 0
            var digitCount = 0
            while let scalar = current, ("0"..."9").contains(scalar) {
                let digit = Int(scalar.value - 48)
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) =
                    negative
                    ? shifted.subtractingReportingOverflow(digit)
                    : shifted.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else { throw error("integer too large") }
                value = next
                digitCount += 1
                position += 1
            }
            guard digitCount > 0 else { throw error("expected digits") }
            if current == "L" || current == "l" { position += 1 }  // Python 2 long suffix
            if let scalar = current, scalar == "." || scalar == "e" || scalar == "E" || scalar == "j" || scalar == "_" {
                throw error("only integers are allowed here")
            }
            return value
        }

        mutating func parseName() throws(ParseError) -> PythonLiteral {
            var name = ""
            while let scalar = current, scalar.properties.isAlphabetic || scalar == "_" {
                name.unicodeScalars.append(scalar)
                position += 1
            }
            switch name {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "": throw error("unexpected character '\(current.map { String($0) } ?? "")'")
            default: throw error("unknown name '\(name)'")
            }
        }
    }
}
