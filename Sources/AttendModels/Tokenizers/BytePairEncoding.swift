import Attend

/// A byte-level BPE tokenizer (GPT-2's scheme, as Llama-family GGUF files describe it with
/// `tokenizer.ggml.model = "gpt2"`):
///
/// 1. the text is cut at every special token written in it (`<|im_start|>` … are kept whole, the
///    longest match first);
/// 2. each stretch between them is split by the ``PreTokenizer``;
/// 3. each piece's UTF-8 bytes become printable characters through the byte table
///    (GPT-2's `bytes_to_unicode`: a space is `Ġ`);
/// 4. BPE: starting from single characters, the adjacent pair with the lowest merge rank is
///    merged everywhere it occurs, until no adjacent pair has a rank; the symbols are the ids.
///
/// Decoding maps ids back to characters, characters back to bytes, and bytes to UTF-8 (see
/// ``StreamingTextDecoder`` for text that arrives a token at a time).
public struct BytePairEncoding: Sendable {
    /// The token strings, by id (in byte-table characters; special tokens as written).
    public let tokens: [String]
    /// How text is cut into pieces before BPE merges within each (`tokenizer.ggml.pre`).
    public let preTokenizer: PreTokenizer
    /// Ids of the special (control) tokens.
    public let specialTokenIDs: Set<Int>
    private let ids: [String: Int]
    /// (left id, right id) → (rank, merged id); see ``mergePairs(_:)`` (`BytePairEncoding+Merging.swift`).
    let merges: [UInt64: (rank: Int, merged: Int)]
    private let byteSymbols: [Int?]  // byte → id of its one-character token
    private let specials: [(text: [Unicode.Scalar], id: Int)]  // longest first
    private let tokenBytes: [[UInt8]]

    /// A tokenizer from a vocabulary, ranked merges (`"left right"`, rank = position) and the ids
    /// of the special tokens.
    /// A byte whose character is not in the vocabulary (SmolLM2 lacks some control bytes) is
    /// dropped when encoding, as Hugging Face's tokenizer does when the model has no unknown token.
    /// - Throws: ``TokenizerError`` when a merge names a token that is not in the vocabulary or a
    ///   merged token is missing, or a special token id is outside the vocabulary.
    public init(tokens: [String], merges: [String], specialTokenIDs: Set<Int>, preTokenizer: PreTokenizer) throws {
        if let outside = specialTokenIDs.sorted().first(where: { !tokens.indices.contains($0) }) {
            throw TokenizerError("special token id \(outside) is outside the vocabulary 0..<\(tokens.count)")
        }
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        self.specialTokenIDs = specialTokenIDs
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        self.ids = ids
        var table: [UInt64: (rank: Int, merged: Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let left = ids[String(parts[0])], let right = ids[String(parts[1])],
                let merged = ids[String(parts[0]) + String(parts[1])]
            else {
                throw TokenizerError(
                    "merge \(rank) \"\(merge)\" is not two vocabulary tokens whose concatenation is also one")
            }
            let key = Self.pairKey(left, right)
            if table[key] == nil { table[key] = (rank, merged) }
        }
        self.merges = table
        self.byteSymbols = (0..<256).map { ids[String(Character(ByteLevelTable.characters[$0]))] }
        // An empty special token cannot be written in a text (matching it would never advance).
        specials = specialTokenIDs.sorted().filter { !tokens[$0].isEmpty }.map {
            (Array(tokens[$0].unicodeScalars), $0)
        }
        .sorted { $0.text.count > $1.text.count }
        tokenBytes = tokens.enumerated().map { id, token in
            if specialTokenIDs.contains(id) { return Array(token.utf8) }
            // Characters outside the table (none in a well-formed vocabulary) decode as their UTF-8.
            var bytes: [UInt8] = []
            for scalar in token.unicodeScalars {
                if let byte = ByteLevelTable.bytes[scalar] {
                    bytes.append(byte)
                } else {
                    bytes.append(contentsOf: Array(String(scalar).utf8))
                }
            }
            return bytes
        }
    }

    /// The vocabulary size.
    public var count: Int { tokens.count }

    /// The id of a token string, if it is in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The ids of `text`; special tokens written in the text are kept whole.
    public func encode(_ text: String) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var result: [Int] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            if let special = specials.first(where: { matches($0.text, scalars, at: i) }) {
                encodeOrdinary(scalars[start..<i], into: &result)
                result.append(special.id)
                i += special.text.count
                start = i
            } else {
                i += 1
            }
        }
        encodeOrdinary(scalars[start..<scalars.count], into: &result)
        return result
    }

    /// The bytes of the tokens `ids` (special tokens as their text).
    /// - Throws: ``TokenizerError`` for an id outside the vocabulary.
    public func bytes(of ids: [Int]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids {
            guard tokenBytes.indices.contains(id) else {
                throw TokenizerError("token id \(id) is outside the vocabulary 0..<\(tokens.count)")
            }
            bytes += tokenBytes[id]
        }
        return bytes
    }

    /// The text of `ids`; byte sequences that are not valid UTF-8 become U+FFFD.
    /// - Throws: ``TokenizerError`` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws -> String {
        String(decoding: try bytes(of: ids), as: UTF8.self)
    }

    private func matches(_ needle: [Unicode.Scalar], _ haystack: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + needle.count <= haystack.count else { return false }
        for k in needle.indices where haystack[i + k] != needle[k] { return false }
        return true
    }

    private func encodeOrdinary(_ scalars: ArraySlice<Unicode.Scalar>, into result: inout [Int]) {
        guard !scalars.isEmpty else { return }
        for piece in preTokenizer.split(String(String.UnicodeScalarView(scalars))) {
            result += mergePairs(piece.utf8.compactMap { byteSymbols[Int($0)] })
        }
    }
}

/// A tokenizer that cannot be built from its description, or an id it does not know.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    /// What is wrong: the file and the entry, or the unknown id.
    public let message: String
    /// An error with `message`; ``description`` puts `tokenizer: ` in front of it.
    public init(_ message: String) { self.message = message }
    /// `"tokenizer: <message>"`.
    public var description: String { "tokenizer: \(message)" }
}

extension BytePairEncoding {
    /// The tokenizer a GGUF file describes (`tokenizer.ggml.model = "gpt2"`: tokens, merges,
    /// token types — type 3 (control) tokens are special — and the pre-tokenizer name).
    /// - Throws: ``TokenizerError`` when a field is missing or has the wrong type, or the model or
    ///   pre-tokenizer is not one this type implements.
    public init(gguf file: GGUFFile) throws {
        func strings(_ key: String) throws -> [String] {
            guard let values = file[metadata: key]?.arrayValue else {
                throw TokenizerError("\(file.name) has no string array \(key)")
            }
            return try values.map {
                guard let s = $0.stringValue else {
                    throw TokenizerError("\(file.name): \(key) holds a \($0.typeName), not strings")
                }
                return s
            }
        }
        let model = file[metadata: "tokenizer.ggml.model"]?.stringValue ?? "(none)"
        guard model == "gpt2" else {
            throw TokenizerError(
                "\(file.name) has tokenizer.ggml.model \"\(model)\"; only \"gpt2\" (byte-level BPE) is implemented")
        }
        let pre = file[metadata: "tokenizer.ggml.pre"]?.stringValue ?? "gpt2"
        guard let preTokenizer = PreTokenizer(ggufName: pre) else {
            throw TokenizerError(
                "\(file.name) has pre-tokenizer \"\(pre)\"; implemented: \(PreTokenizer.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        var special = Set<Int>()
        if let types = file[metadata: "tokenizer.ggml.token_type"]?.arrayValue {
            guard types.count == tokens.count else {
                throw TokenizerError("\(file.name): \(types.count) token types for \(tokens.count) tokens")
            }
            for (id, type) in types.enumerated() where type.intValue == 3 { special.insert(id) }
        }
        try self.init(
            tokens: tokens, merges: strings("tokenizer.ggml.merges"), specialTokenIDs: special,
            preTokenizer: preTokenizer)
    }
}
