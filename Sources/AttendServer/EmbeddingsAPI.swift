import Foundation

/// `POST /v1/embeddings`'s body, as OpenAI defines it, with Attend's `truncate` extension.
struct EmbeddingsRequest: Decodable, Sendable {
    /// What to embed: one text, several, or token ids (one sequence or several).
    enum Input: Sendable, Equatable {
        case texts([String])
        case tokens([[Int]])

        var count: Int {
            switch self {
            case .texts(let texts): texts.count
            case .tokens(let sequences): sequences.count
            }
        }
    }

    /// `float` (a JSON array) or `base64` (the float32 values' little-endian bytes).
    enum EncodingFormat: String, Decodable, Sendable {
        case float, base64
    }

    var input: Input
    var model: String
    var encodingFormat: EncodingFormat?
    /// Keep the first `dimensions` components and scale them back to unit length.
    var dimensions: Int?
    /// Cut inputs over the model's token limit instead of refusing them (Attend's extension).
    var truncate: Bool?
    var user: String?

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, truncate, user
        case encodingFormat = "encoding_format"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        encodingFormat = try container.decodeIfPresent(EncodingFormat.self, forKey: .encodingFormat)
        dimensions = try container.decodeIfPresent(Int.self, forKey: .dimensions)
        truncate = try container.decodeIfPresent(Bool.self, forKey: .truncate)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        guard container.contains(.input) else {
            throw APIError.invalidRequest(
                "Missing required parameter: 'input'", param: "input", code: "missing_required_parameter")
        }
        if let text = try? container.decode(String.self, forKey: .input) {
            input = .texts([text])
        } else if let texts = try? container.decode([String].self, forKey: .input) {
            input = .texts(texts)
        } else if let ids = try? container.decode([Int].self, forKey: .input) {
            input = .tokens([ids])
        } else if let sequences = try? container.decode([[Int]].self, forKey: .input) {
            input = .tokens(sequences)
        } else {
            throw APIError.invalidRequest(
                "Invalid type for 'input': expected a string, a list of strings, a list of token ids or a list of token-id lists",
                param: "input", code: "invalid_type")
        }
    }
}

/// `POST /v1/embeddings`'s answer.
struct EmbeddingsResponse: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        /// `[Float]` for `float`, a base64 string for `base64`.
        enum Vector: Encodable, Sendable {
            case floats([Float])
            case base64(String)

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .floats(let values): try container.encode(values)
                case .base64(let text): try container.encode(text)
                }
            }
        }
        var object = "embedding"
        var index: Int
        var embedding: Vector
    }
    struct Usage: Encodable, Sendable {
        var promptTokens: Int
        var totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }
    var object = "list"
    var data: [Item]
    var model: String
    var usage: Usage
}

extension EmbeddingsResponse.Item.Vector {
    /// The vector in `format`: base64 holds the float32 values' little-endian bytes.
    init(_ values: [Float], format: EmbeddingsRequest.EncodingFormat) {
        switch format {
        case .float: self = .floats(values)
        case .base64:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(values.count * 4)
            for value in values {
                let bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
            }
            self = .base64(Data(bytes).base64EncodedString())
        }
    }
}

/// The first `dimensions` components of a unit vector, scaled back to unit length (in Double):
/// e′ = e[..<k] / ‖e[..<k]‖₂ (unchanged when the prefix is all zeros).
func truncatedEmbedding(_ embedding: [Float], dimensions: Int) -> [Float] {
    guard dimensions < embedding.count else { return embedding }
    let prefix = embedding.prefix(dimensions).map(Double.init)
    let norm = prefix.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard norm > 0 else { return Array(embedding.prefix(dimensions)) }
    return prefix.map { Float($0 / norm) }
}
