import Attend
import AttendModels
import AttendServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("POST /v1/chat/completions generates as the library does, plain or streamed, batched or alone")
struct ChatCompletionsRouteTests {
    /// What `TextGenerator` produces alone for one user message (greedy unless a sampler is
    /// given): the expected answer.
    static func solo(_ message: String, maxTokens: Int, sampler: Sampler? = nil) throws -> TextGenerator.Result {
        let generator = try ServerFixture.chatGenerator()
        let template = try ChatTemplate(template: ServerFixture.chatML)
        let ids = generator.tokenizer.encode(template.prompt(user: message))
        return try generator.generate(promptIDs: ids, maxTokens: maxTokens, sampler: sampler ?? Sampler())
    }

    static func request(_ message: String, maxTokens: Int, extra: [String: Any] = [:]) -> [String: Any] {
        [
            "model": "tiny-llama", "messages": [["role": "user", "content": message]], "temperature": 0,
            "max_tokens": maxTokens,
        ].merging(extra) { $1 }
    }

    static func content(_ reply: JSONReply) -> String? {
        ((reply.object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }

    /// The `data:` payloads of a server-sent event stream, checking its framing.
    static func events(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        #expect(text.hasSuffix("data: [DONE]\n\n"), "stream ends with [DONE]", sourceLocation: sourceLocation)
        let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        for block in blocks { #expect(block.hasPrefix("data: "), "\(block)", sourceLocation: sourceLocation) }
        return blocks.map { String($0.dropFirst(6)) }
    }

    @Test("a greedy answer equals the library's solo generation, with usage and finish_reason length")
    func plainAnswerEqualsSoloGeneration() async throws {
        let expected = try Self.solo("hello there", maxTokens: 12)
        let reply = try await ServerFixture.withClient { client in
            try await client.post("/v1/chat/completions", json: Self.request("hello there", maxTokens: 12))
        }
        #expect(reply.status == .ok, "\(reply.text)")
        #expect(reply.object["object"] as? String == "chat.completion")
        #expect((reply.object["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        #expect(Self.content(reply) == expected.text)
        let choice = (reply.object["choices"] as? [[String: Any]])?.first
        let ended = expected.generatedIDs.count == 12 ? "length" : "stop"
        #expect(choice?["finish_reason"] as? String == ended)
        let usage = reply.object["usage"] as? [String: Int]
        let prompt = expected.promptIDs.count
        let completion = expected.generatedIDs.count
        #expect(
            usage == ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion])
    }

    @Test(
        "streamed deltas concatenate to the plain answer; role first, finish_reason last, usage on request, then [DONE]"
    )
    func streamedDeltasEqualPlainAnswer() async throws {
        let (plain, streamed) = try await ServerFixture.withClient { client in
            (
                try await client.post("/v1/chat/completions", json: Self.request("stream me", maxTokens: 10)),
                try await client.post(
                    "/v1/chat/completions",
                    json: Self.request(
                        "stream me", maxTokens: 10, extra: ["stream": true, "stream_options": ["include_usage": true]]))
            )
        }
        #expect(streamed.status == .ok)
        #expect(streamed.headers[.contentType] == "text/event-stream")
        let payloads = Self.events(streamed.text)
        #expect(payloads.last == "[DONE]")
        let chunks = payloads.dropLast().compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        try #require(chunks.count == payloads.count - 1 && chunks.count >= 3)
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)
        let choices = chunks.map { ($0["choices"] as? [[String: Any]]) ?? [] }
        let deltas = choices.compactMap { $0.first?["delta"] as? [String: Any] }
        #expect(deltas.first?["role"] as? String == "assistant")
        let text = deltas.compactMap { $0["content"] as? String }.joined()
        #expect(text == Self.content(plain))
        let reasons = choices.compactMap { $0.first?["finish_reason"] as? String }
        #expect(reasons == ["length"] || reasons == ["stop"])
        #expect(choices.last?.isEmpty == true, "the usage chunk has no choices")
        #expect((chunks.last?["usage"] as? [String: Int]) == (plain.object["usage"] as? [String: Int]))
    }

    @Test("8 concurrent greedy requests, decoded together, each equal their solo generations")
    func concurrentChatsEqualSoloGenerations() async throws {
        let messages = (0..<8).map { "request \($0): " + String(repeating: "ab", count: $0) }
        let lengths = (0..<8).map { 6 + 2 * $0 }  // streams end at different steps
        let expected = try zip(messages, lengths).map { try Self.solo($0, maxTokens: $1).text }
        let replies = try await ServerFixture.withClient { client in
            try await concurrentReplies(messages.count) { i in
                try await client.post(
                    "/v1/chat/completions", json: Self.request(messages[i], maxTokens: lengths[i]))
            }
        }
        try #require(replies.count == messages.count)
        for (i, reply) in replies.enumerated() {
            #expect(reply.status == .ok)
            #expect(Self.content(reply) == expected[i], "request \(i)")
        }
    }

    @Test("a stop string ends the answer before it, with finish_reason stop, plain and streamed alike")
    func stopStringEndsAnswer() async throws {
        let full = try Self.solo("find a stop", maxTokens: 16).text
        try #require(full.count >= 6, "the fixture's answer is long enough to cut: \(full.debugDescription)")
        let start = full.index(full.startIndex, offsetBy: 3)
        let stop = String(full[start..<full.index(start, offsetBy: 2)])
        let before = String(full[..<full.range(of: stop)!.lowerBound])
        let (plain, streamed) = try await ServerFixture.withClient { client in
            (
                try await client.post(
                    "/v1/chat/completions",
                    json: Self.request("find a stop", maxTokens: 16, extra: ["stop": [stop, "\u{1}"]])),
                try await client.post(
                    "/v1/chat/completions",
                    json: Self.request("find a stop", maxTokens: 16, extra: ["stop": stop, "stream": true]))
            )
        }
        #expect(Self.content(plain) == before)
        let choice = (plain.object["choices"] as? [[String: Any]])?.first
        #expect(choice?["finish_reason"] as? String == "stop")
        let deltas = Self.events(streamed.text).dropLast().compactMap {
            (((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["choices"]
                as? [[String: Any]])?
                .first
        }
        #expect(deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined() == before)
        #expect(deltas.compactMap { $0["finish_reason"] as? String } == ["stop"])
    }

    @Test("sampling with a seed is reproducible, and follows the library's sampler")
    func seededSamplingIsReproducible() async throws {
        let expected = try Self.solo("sample", maxTokens: 10, sampler: Sampler(temperature: 0.8, topP: 0.9, seed: 42))
        let body = String(
            decoding: try JSONSerialization.data(
                withJSONObject: Self.request(
                    "sample", maxTokens: 10, extra: ["temperature": 0.8, "top_p": 0.9, "seed": 42])),
            as: UTF8.self)
        let (a, b) = try await ServerFixture.withClient { client in
            (try await client.post("/v1/chat/completions", body), try await client.post("/v1/chat/completions", body))
        }
        #expect(Self.content(a) == expected.text)
        #expect(Self.content(b) == expected.text)
    }
}
