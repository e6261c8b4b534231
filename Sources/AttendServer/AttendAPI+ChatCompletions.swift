import AttendModels
import Foundation
import Hummingbird

extension AttendAPI {
    /// `POST /v1/chat/completions`: checks the request, formats the messages with the model's chat
    /// template, queues the generation in the continuous batch, and answers with the whole message
    /// or, with `stream: true`, as server-sent events (`data: {chunk}` … `data: [DONE]`).
    ///
    /// `max_completion_tokens` (or the older `max_tokens`) defaults to the room left in the
    /// sequence's context; `temperature` defaults to 1 as in OpenAI's API (0 is greedy); `seed`
    /// makes sampling reproducible; `stop` ends the answer before the first of up to four strings.
    func chatResponse(_ request: Request) async throws -> Response {
        let body = try await JSONRequestBody.decode(
            ChatCompletionRequest.self, from: request, limit: limits.maxBodyBytes)
        guard let chat, chat.served.answers(to: body.model) else {
            throw APIError.modelNotFound(body.model, served: models.ids)
        }
        let plan = try ChatPlan(body, chat: chat, contextLength: limits.chatContextLength)
        let events = try chat.scheduler.generate(
            promptIDs: plan.promptIDs, maxTokens: plan.maxTokens, sampler: plan.sampler, stops: plan.stops)
        let id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let model = chat.served.id
        metrics.promptTokens.increment(by: Int64(plan.promptIDs.count))
        let metrics = self.metrics
        guard body.stream == true else {
            var text = ""
            for await event in events {
                switch event {
                case .text(let piece): text += piece
                case .finished(let reason, let usage):
                    metrics.completionTokens.increment(by: Int64(usage.completionTokens))
                    return try jsonResponse(
                        ChatCompletionResponse(
                            id: id, created: created, model: model,
                            choices: [.init(message: .init(content: text), finishReason: reason)], usage: usage))
                case .failed(let message):
                    throw APIError(status: .internalServerError, message: message, type: "server_error")
                }
            }
            throw APIError(
                status: .internalServerError, message: "generation ended without a result", type: "server_error")
        }
        let includeUsage = body.streamOptions?.includeUsage ?? false
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                func send(_ choices: [ChatCompletionChunk.Choice], usage: CompletionUsage? = nil) async throws {
                    let chunk = ChatCompletionChunk(
                        id: id, created: created, model: model, choices: choices, usage: usage)
                    try await writer.write(serverSentEvent(try JSONEncoder().encode(chunk)))
                }
                try await send([.init(delta: .init(role: "assistant", content: ""))])
                for await event in events {
                    switch event {
                    case .text(let piece):
                        try await send([.init(delta: .init(content: piece))])
                    case .finished(let reason, let usage):
                        metrics.completionTokens.increment(by: Int64(usage.completionTokens))
                        try await send([.init(delta: .init(), finishReason: reason)])
                        if includeUsage { try await send([], usage: usage) }
                    case .failed(let message):
                        let error = ErrorBody(error: .init(message: message, type: "server_error"))
                        try await writer.write(serverSentEvent(try JSONEncoder().encode(error)))
                    }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            })
    }
}

/// `data: <json>\n\n`.
private func serverSentEvent(_ json: Data) -> ByteBuffer {
    var buffer = ByteBuffer(string: "data: ")
    buffer.writeBytes(json)
    buffer.writeString("\n\n")
    return buffer
}

/// A chat request checked and turned into what the scheduler runs.
struct ChatPlan {
    var promptIDs: [Int]
    var maxTokens: Int
    var sampler: Sampler
    var stops: [String]

    /// - Throws: ``APIError`` 400 naming the field and the rule it breaks.
    init(_ body: ChatCompletionRequest, chat: AttendAPI.ChatModel, contextLength: Int) throws {
        guard !body.messages.isEmpty else {
            throw APIError.invalidRequest("'messages' is empty; give at least one message", param: "messages")
        }
        var messages: [ChatMessage] = []
        for (index, message) in body.messages.enumerated() {
            let role: ChatMessage.Role
            switch message.role {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            default:
                throw APIError.invalidRequest(
                    "messages[\(index)].role '\(message.role)' is not supported; use system, developer, user or assistant",
                    param: "messages[\(index)].role")
            }
            messages.append(ChatMessage(role: role, content: message.content))
        }
        if let n = body.n, n != 1 {
            throw APIError.invalidRequest("'n' must be 1 (one choice per request), got \(n)", param: "n")
        }
        let temperature = body.temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw APIError.invalidRequest(
                "'temperature' must be between 0 and 2, got \(temperature)", param: "temperature")
        }
        if let topP = body.topP, !(topP > 0 && topP <= 1) {
            throw APIError.invalidRequest("'top_p' must be in (0, 1], got \(topP)", param: "top_p")
        }
        stops = body.stop?.values ?? []
        guard stops.count <= 4 else {
            throw APIError.invalidRequest("'stop' may hold at most 4 strings, got \(stops.count)", param: "stop")
        }
        let requested = body.maxCompletionTokens ?? body.maxTokens
        let field = body.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        if let requested, requested < 1 {
            throw APIError.invalidRequest("'\(field)' must be at least 1, got \(requested)", param: field)
        }
        let generator = chat.served.model
        let context = min(contextLength, generator.decoder.configuration.contextLength)
        promptIDs = generator.tokenizer.encode(chat.template.prompt(messages: messages))
        let room = context - promptIDs.count
        guard room >= 1 else {
            throw APIError.invalidRequest(
                "The messages take \(promptIDs.count) tokens; this server's context for one conversation is \(context) tokens",
                param: "messages", code: "context_length_exceeded")
        }
        if let requested, requested > room {
            throw APIError.invalidRequest(
                "This server's context for one conversation is \(context) tokens; the messages take \(promptIDs.count) and '\(field)' asks for \(requested)",
                param: field, code: "context_length_exceeded")
        }
        maxTokens = requested ?? room
        let seed = body.seed.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.random(in: 0...UInt64.max)
        sampler = try Sampler(temperature: temperature, topP: body.topP, seed: seed)
    }
}
