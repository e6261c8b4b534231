import Foundation

/// `POST /v1/chat/completions`'s body, as OpenAI defines it (the fields a local model can honour;
/// others a client may send, such as `user` or `presence_penalty`, are accepted and ignored).
struct ChatCompletionRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: String

        enum CodingKeys: String, CodingKey {
            case role, content
        }

        /// One part of a multi-part `content`; only `text` parts are supported.
        struct Part: Decodable {
            var type: String
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decode([Part].self, forKey: .content) {
                guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                    throw APIError.invalidRequest(
                        "Only text content parts are supported (a part of type '\(parts.first { $0.type != "text" }?.type ?? "text")' was given)",
                        param: "messages.content", code: "invalid_value")
                }
                content = parts.compactMap(\.text).joined()
            } else if (try? container.decodeNil(forKey: .content)) == true || !container.contains(.content) {
                content = ""
            } else {
                throw APIError.invalidRequest(
                    "Invalid type for 'messages.content': expected a string or a list of text parts",
                    param: "messages.content", code: "invalid_type")
            }
        }
    }

    /// `stop`: one string or a list of up to four.
    struct StopList: Decodable, Sendable {
        var values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                values = [one]
            } else if let many = try? container.decode([String].self) {
                values = many
            } else if container.decodeNil() {
                values = []
            } else {
                throw APIError.invalidRequest(
                    "Invalid type for 'stop': expected a string or a list of strings", param: "stop",
                    code: "invalid_type")
            }
        }
    }

    struct StreamOptions: Decodable, Sendable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey {
            case includeUsage = "include_usage"
        }
    }

    var model: String
    var messages: [Message]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var seed: Int?
    var stop: StopList?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, stream, n
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case streamOptions = "stream_options"
    }
}

/// The usage block of a chat answer.
struct CompletionUsage: Encodable, Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
    }
}

/// Why a completion ended: the model's end token or a `stop` string (`stop`), or `max_tokens` (`length`).
enum FinishReason: String, Encodable, Sendable {
    case stop, length
}

/// The non-streamed answer (`object: chat.completion`).
struct ChatCompletionResponse: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        struct Message: Encodable, Sendable {
            var role = "assistant"
            var content: String
        }
        var index = 0
        var message: Message
        var finishReason: FinishReason

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }
    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: CompletionUsage
}

/// One server-sent event of a streamed answer (`object: chat.completion.chunk`): the first
/// carries the role, the next ones content, the last one the finish reason; with
/// `stream_options.include_usage` a final chunk with no choices carries the usage.
struct ChatCompletionChunk: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        struct Delta: Encodable, Sendable {
            var role: String?
            var content: String?
        }
        var index = 0
        var delta: Delta
        var finishReason: FinishReason?

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }
    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: CompletionUsage?
}

/// `GET /v1/models`'s answer.
struct ModelList: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "attend"

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }
    var object = "list"
    var data: [Model]
}
