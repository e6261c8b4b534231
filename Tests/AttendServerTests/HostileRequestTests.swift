import AttendModels
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AttendServer

@Suite("Malformed, oversized and unauthorized requests get a 4xx OpenAI error and the server keeps serving")
struct HostileRequestTests {
    @Test("malformed bodies: each a 400 naming what is wrong")
    func malformedBodies() async throws {
        let replies = try await ServerFixture.withClient { client in
            [
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": "),
                try await client.post("/v1/embeddings", ""),
                try await client.post("/v1/embeddings", "{\"input\": \"no model\"}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\"}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": [1, \"two\"]}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": []}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": [\"\"]}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": [[]]}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": [5, 999999]}"),
                try await client.post("/v1/embeddings", "{\"model\": \"minilm\", \"input\": \"x\", \"dimensions\": 0}"),
                try await client.post(
                    "/v1/embeddings", "{\"model\": \"minilm\", \"input\": \"x\", \"encoding_format\": \"int8\"}"),
                try await client.post("/v1/embeddings", String(repeating: "[", count: 100_000)),
                try await client.post(
                    "/v1/embeddings", "{\"model\": \"minilm\", \"input\": \"x\", \"dimensions\": 1.5}"),
                try await client.post("/v1/embeddings", "[{\"model\": \"minilm\"}]"),
            ]
        }
        let expected: [(String?, [String])] = [
            (nil, ["not valid JSON"]),
            (nil, ["body is empty"]),
            ("model", ["Missing required parameter: 'model'"]),
            ("input", ["Missing required parameter: 'input'"]),
            ("input", ["Invalid type for 'input'"]),
            ("input", ["'input' is an empty list"]),
            ("input", ["input[0] is an empty string"]),
            ("input", ["input[0] is an empty list of token ids"]),
            ("input", ["token id 999999", "outside the vocabulary 0..<30522"]),
            ("dimensions", ["'dimensions' must be between 1 and the model's 384, got 0"]),
            ("encoding_format", ["Invalid value for 'encoding_format'"]),
            (nil, ["not valid JSON"]),
            (nil, ["A number in the request does not fit its field"]),
            (nil, ["The request body must be a JSON object"]),
        ]
        try #require(replies.count == expected.count)
        for (reply, (param, fragments)) in zip(replies, expected) {
            expectError(reply, .badRequest, param: param, containing: fragments)
        }
    }

    @Test("invalid UTF-8 in the body is a 400 saying so")
    func invalidUTF8() async throws {
        let reply = try await ServerFixture.withClient { client in
            var bytes = Array("{\"model\": \"minilm\", \"input\": \"caf".utf8)
            bytes += [0xC3, 0x28] + Array("\"}".utf8)
            return try await client.execute(
                uri: "/v1/embeddings", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: bytes)
            ) { JSONReply(status: $0.status, headers: $0.headers, text: String(buffer: $0.body)) }
        }
        expectError(reply, .badRequest, containing: ["not valid UTF-8"])
    }

    @Test(
        "chat requests breaking a rule: unknown model 404, empty messages, negative max_tokens, bad role, n, temperature, stop"
    )
    func invalidChatRequests() async throws {
        @Sendable func chat(_ fields: String) -> String {
            "{\"model\": \"tiny-llama\", \(fields)}"
        }
        let user = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]"
        let replies = try await ServerFixture.withClient { client in
            [
                try await client.post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \(user)}"),
                try await client.post("/v1/chat/completions", chat("\"messages\": []")),
                try await client.post("/v1/chat/completions", chat("\(user), \"max_tokens\": -5")),
                try await client.post("/v1/chat/completions", chat("\(user), \"max_completion_tokens\": 0")),
                try await client.post(
                    "/v1/chat/completions", chat("\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]")),
                try await client.post("/v1/chat/completions", chat("\(user), \"n\": 2")),
                try await client.post("/v1/chat/completions", chat("\(user), \"temperature\": 2.5")),
                try await client.post("/v1/chat/completions", chat("\(user), \"top_p\": 0")),
                try await client.post(
                    "/v1/chat/completions", chat("\(user), \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]")),
                try await client.post("/v1/chat/completions", chat("\"messages\": \"hi\"")),
                try await client.post("/v1/chat/completions", chat("\(user), \"max_tokens\": 100000")),
            ]
        }
        expectError(replies[0], .notFound, param: "model", containing: ["'gpt-4o'", "all-MiniLM-L6-v2, tiny-llama"])
        #expect(replies[0].error?["code"] as? String == "model_not_found")
        expectError(replies[1], .badRequest, param: "messages", containing: ["'messages' is empty"])
        expectError(
            replies[2], .badRequest, param: "max_tokens", containing: ["'max_tokens' must be at least 1, got -5"])
        expectError(
            replies[3], .badRequest, param: "max_completion_tokens",
            containing: ["'max_completion_tokens' must be at least 1, got 0"])
        expectError(replies[4], .badRequest, param: "messages[0].role", containing: ["'tool' is not supported"])
        expectError(replies[5], .badRequest, param: "n", containing: ["'n' must be 1", "got 2"])
        expectError(replies[6], .badRequest, param: "temperature", containing: ["between 0 and 2, got 2.5"])
        expectError(replies[7], .badRequest, param: "top_p", containing: ["'top_p' must be in (0, 1], got 0"])
        expectError(replies[8], .badRequest, param: "stop", containing: ["at most 4 strings, got 5"])
        expectError(replies[9], .badRequest, param: "messages", containing: ["Invalid type for 'messages'"])
        expectError(
            replies[10], .badRequest, param: "max_tokens",
            containing: ["context for one conversation is 256 tokens", "asks for 100000"])  // the fixture's context
        #expect(replies[10].error?["code"] as? String == "context_length_exceeded")
    }

    @Test("limits: more inputs than allowed, a prompt over the context, a body over the size limit")
    func limits() async throws {
        var limits = ServerLimits()
        limits.maxEmbeddingInputs = 3
        limits.chatContextLength = 24
        limits.maxBodyBytes = 4096
        let replies = try await ServerFixture.withClient(limits: limits) { client in
            [
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": ["a", "b", "c", "d"]]),
                try await client.post(
                    "/v1/chat/completions",
                    json: [
                        "model": "tiny-llama",
                        "messages": [["role": "user", "content": String(repeating: "z", count: 40)]],
                    ]),
                try await client.post(
                    "/v1/embeddings", json: ["model": "minilm", "input": String(repeating: "long ", count: 2000)]),
            ]
        }
        expectError(replies[0], .badRequest, param: "input", containing: ["4 items", "at most 3"])
        expectError(
            replies[1], .badRequest, param: "messages", containing: ["context for one conversation is 24 tokens"])
        expectError(replies[2], .contentTooLarge, containing: ["larger than the server's limit of 4096 bytes"])
    }

    @Test(
        "unknown routes and methods a route does not take are 404 JSON errors; /health stays 200; /metrics counts them")
    func unknownRoutesAndHealth() async throws {
        let (unknown, method, health, metrics) = try await ServerFixture.withClient { client in
            (
                try await client.post("/v1/completions", "{}"),
                try await client.get("/v1/embeddings"),
                try await client.get("/health"),
                try await client.get("/metrics")
            )
        }
        expectError(unknown, .notFound, containing: ["Unknown route: POST /v1/completions"])
        expectError(method, .notFound, containing: ["Unknown route: GET /v1/embeddings"])
        #expect(health.status == .ok)
        #expect(health.object["status"] as? String == "ok")
        #expect(metrics.text.contains("attend_http_requests_total{route=\"unmatched\",status=\"404\"} 2"))
    }

    @Test("with an API key, /v1 requests need 'Authorization: Bearer KEY'; /health does not; models by id or alias")
    func apiKey() async throws {
        let replies = try await ServerFixture.withClient(apiKey: "s3cret") { client in
            [
                try await client.get("/v1/models"),
                try await client.get("/v1/models", headers: [.authorization: "Bearer wrong"]),
                try await client.get("/v1/models", headers: [.authorization: "Bearer s3cret-and-more"]),
                try await client.get("/v1/models", headers: [.authorization: "s3cret"]),
                try await client.get("/v1/models", headers: [.authorization: "Bearer s3cret"]),
                try await client.get("/health"),
            ]
        }
        expectError(replies[0], .unauthorized, containing: ["Missing API key"])
        for reply in replies[1...3] { expectError(reply, .unauthorized, containing: ["Incorrect API key"]) }
        #expect(replies[4].status == .ok)
        let ids = (replies[4].object["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["all-MiniLM-L6-v2", "tiny-llama"])
        let (one, alias, missing) = try await ServerFixture.withClient { client in
            (
                try await client.get("/v1/models/tiny-llama"), try await client.get("/v1/models/minilm"),
                try await client.get("/v1/models/gpt-4o")
            )
        }
        #expect(one.object["id"] as? String == "tiny-llama" && one.object["object"] as? String == "model")
        #expect(alias.object["id"] as? String == "all-MiniLM-L6-v2")
        expectError(missing, .notFound, param: "model", containing: ["'gpt-4o'"])
        #expect(replies[5].status == .ok)
    }

    @Test("the key comparison reads every byte whatever the inputs")
    func constantTimeComparison() {
        typealias Check = APIKeyMiddleware<BasicRequestContext>
        #expect(Check.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Check.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Check.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!Check.constantTimeEqual([], Array("a".utf8)))
        // Lengths that differ by a multiple of 256 must not cancel out.
        #expect(!Check.constantTimeEqual([UInt8](repeating: 0, count: 256), []))
    }

    @Test("a full embedding queue answers 429 with Retry-After and takes the next request once it drains")
    func fullQueueIsRefused() async throws {
        let lane = ComputeLane()
        let batcher = EmbeddingBatcher(
            embedder: try ServerFixture.embedder(), lane: lane, batchTokens: 2048, maxWaiting: 1)
        let gate = DispatchSemaphore(value: 0)
        lane.submit { gate.wait() }  // the lane is busy until the gate opens
        let first = Task { try await batcher.embed([[101, 7592, 102]]) }
        while batcher.waitingCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: APIError.self) { try await batcher.embed([[101, 2088, 102]]) }
        do {
            _ = try await batcher.embed([[101, 2088, 102]])
        } catch let error as APIError {
            #expect(error.status == .tooManyRequests)
            #expect(error.headers[.retryAfter] == "1")
            #expect(error.message.contains("1 embedding requests are already waiting"))
        }
        gate.signal()
        #expect(try await first.value.count == 1)
        #expect(try await batcher.embed([[101, 2088, 102]]).count == 1)
    }
}
