import AttendModels
import AttendServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("POST /v1/embeddings answers in OpenAI's format with the model's embeddings")
struct EmbeddingsRouteTests {
    /// `data[i].embedding` as floats.
    static func vectors(_ reply: JSONReply) -> [[Float]] {
        let data = reply.object["data"] as? [[String: Any]] ?? []
        return data.map { ($0["embedding"] as? [Double] ?? []).map(Float.init) }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// The float64 sentence-transformers embeddings of `Tests/Fixtures/models/minilm.json`.
    static func referenceCases() throws -> [(text: String, embedding: [Double])] {
        struct Fixture: Decodable {
            struct Case: Decodable {
                let text: String
                let embedding: [Double]
            }
            let cases: [Case]
        }
        let url = ServerFixture.fixtures.appendingPathComponent("models/minilm.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases.map { ($0.text, $0.embedding) }
    }

    @Test(
        "a list of texts: one embedding each, in order, equal to the library's and within 1e-4 of the float64 reference"
    )
    func textsMatchLibraryAndReference() async throws {
        let cases = try Self.referenceCases().prefix(6)
        let embedder = try ServerFixture.embedder()
        let direct = try cases.map { try embedder.embed([$0.text])[0] }
        let reply = try await ServerFixture.withClient { client in
            try await client.post("/v1/embeddings", json: ["model": "all-MiniLM-L6-v2", "input": cases.map(\.text)])
        }
        #expect(reply.status == .ok, "\(reply.text)")
        #expect(reply.object["object"] as? String == "list")
        #expect(reply.object["model"] as? String == "all-MiniLM-L6-v2")
        let data = reply.object["data"] as? [[String: Any]] ?? []
        #expect(data.map { $0["index"] as? Int } == Array(0..<cases.count))
        #expect(data.allSatisfy { $0["object"] as? String == "embedding" })
        let got = Self.vectors(reply)
        try #require(got.count == cases.count)
        let tokens = cases.reduce(0) { $0 + embedder.tokenizer.encode($1.text).count }
        let usage = reply.object["usage"] as? [String: Int]
        #expect(usage == ["prompt_tokens": tokens, "total_tokens": tokens])
        for (i, c) in cases.enumerated() {
            #expect(Self.maxDifference(got[i], direct[i]) <= SentenceEmbedder.batchInvarianceBound, "\(c.text)")
            let reference = zip(got[i], c.embedding).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(reference <= 1e-4, "max |Δ| \(reference) from the reference for \(c.text)")
        }
    }

    @Test("one string, token ids and token-id lists embed like the text they spell")
    func inputShapesAgree() async throws {
        let embedder = try ServerFixture.embedder()
        let text = "The quick brown fox jumps over the lazy dog."
        let ids = Array(embedder.tokenizer.encode(text).dropFirst().dropLast())  // without [CLS] and [SEP]
        let replies = try await ServerFixture.withClient { client in
            [
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": text]),
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": ids]),
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": [ids, ids]]),
            ]
        }
        let expected = try embedder.embed([text])[0]
        for reply in replies {
            #expect(reply.status == .ok, "\(reply.text)")
            for vector in Self.vectors(reply) {
                #expect(Self.maxDifference(vector, expected) <= SentenceEmbedder.batchInvarianceBound)
            }
        }
        #expect(Self.vectors(replies[2]).count == 2)
    }

    @Test("encoding_format base64 carries the same float32 values, little-endian")
    func base64EqualsFloats() async throws {
        let (floats, base64) = try await ServerFixture.withClient { client in
            (
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": "a base64 check"]),
                try await client.post(
                    "/v1/embeddings", json: ["model": "minilm", "input": "a base64 check", "encoding_format": "base64"])
            )
        }
        let encoded = try #require((base64.object["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: encoded))
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(
                bitPattern: bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) {
                    $0 | UInt32($1.1) << (8 * $1.0)
                })
        }
        #expect(decoded == Self.vectors(floats)[0])
    }

    @Test("dimensions keeps the first k components scaled back to unit length")
    func dimensionsTruncateAndRenormalize() async throws {
        let (full, short) = try await ServerFixture.withClient { client in
            (
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": "shorter vectors"]),
                try await client.post(
                    "/v1/embeddings", json: ["model": "minilm", "input": "shorter vectors", "dimensions": 64])
            )
        }
        let whole = Self.vectors(full)[0].map(Double.init)
        let prefix = Array(whole.prefix(64))
        let norm = prefix.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let got = Self.vectors(short)[0]
        #expect(got.count == 64)
        #expect(Self.maxDifference(got, prefix.map { Float($0 / norm) }) <= 1e-7)
    }

    @Test("an input over the model's 256 tokens is refused naming the limit, or cut with truncate: true")
    func longInputRefusedOrTruncated() async throws {
        let embedder = try ServerFixture.embedder()
        let long = Array(repeating: "word", count: 400).joined(separator: " ")
        let (refused, cut) = try await ServerFixture.withClient { client in
            (
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": ["short", long]]),
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": long, "truncate": true])
            )
        }
        expectError(refused, .badRequest, param: "input", containing: ["input[1]", "402 tokens", "limit is 256"])
        #expect(refused.error?["code"] as? String == "context_length_exceeded")
        #expect(cut.status == .ok)
        let expected = try embedder.embed([long])[0]  // the library truncates
        #expect(Self.maxDifference(Self.vectors(cut)[0], expected) <= SentenceEmbedder.batchInvarianceBound)
    }

    @Test("64 concurrent single-text requests each get their solo answer (batched together)")
    func concurrentRequestsEqualSoloAnswers() async throws {
        let texts = (0..<64).map {
            "Sentence number \($0) talks about \(["cats", "ships", "rain", "numbers"][$0 % 4])."
        }
        let embedder = try ServerFixture.embedder()
        let solo = try texts.map { try embedder.embed([$0])[0] }
        let replies = try await ServerFixture.withClient { client in
            try await concurrentReplies(texts.count) { i in
                try await client.post("/v1/embeddings", json: ["model": "minilm", "input": texts[i]])
            }
        }
        try #require(replies.count == texts.count)
        for (i, reply) in replies.enumerated() {
            #expect(reply.status == .ok)
            #expect(Self.maxDifference(Self.vectors(reply)[0], solo[i]) <= SentenceEmbedder.batchInvarianceBound)
        }
    }
}
