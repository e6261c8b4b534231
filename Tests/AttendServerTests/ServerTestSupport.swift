import Attend
import AttendModels
import AttendServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The server the route tests drive: the cached all-MiniLM-L6-v2 for embeddings (fetched by
/// scripts/test) and, for chat, a tiny random-weight Llama GGUF of the decoder fixtures
/// (`Tests/Fixtures/decoders/llama_mixed_types.gguf`: byte-level vocabulary of printable ASCII)
/// with the plain ChatML template, so that generation is fast in a debug build.
enum ServerFixture {
    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// ChatML without a default system message, as GGUF files carry it.
    static let chatML = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    struct MissingModel: Error {}

    /// The fixture decoder with a chat template.
    static func chatGenerator() throws -> TextGenerator {
        let file = try GGUFFile(contentsOf: fixtures.appendingPathComponent("decoders/llama_mixed_types.gguf"))
        let plain = try TextGenerator(gguf: file)
        return TextGenerator(
            tokenizer: plain.tokenizer, decoder: plain.decoder, endOfSequence: plain.endOfSequence, chatTemplate: chatML
        )
    }

    /// all-MiniLM-L6-v2 from the model cache; a missing model is a recorded failure, not a skip.
    static func embedder() throws -> SentenceEmbedder {
        let directory = ModelCache.directory(for: "minilm")
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            Issue.record(
                "all-MiniLM-L6-v2 is not in \(directory.path): run `\(ModelCache.fetchCommand(for: "minilm"))`")
            throw MissingModel()
        }
        return try SentenceEmbedder(directory: directory)
    }

    static let models: Result<ServedModels, any Error> = Result {
        ServedModels(
            embedding: ServedModel(id: "all-MiniLM-L6-v2", aliases: ["minilm"], model: try embedder()),
            chat: ServedModel(id: "tiny-llama", model: try chatGenerator()))
    }

    /// Runs `body` against a router-level test client of an API over the shared models.
    static func withClient<Value: Sendable>(
        limits: ServerLimits = ServerLimits(), apiKey: String? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let api = try AttendAPI(models: try models.get(), limits: limits, apiKey: apiKey)
        let application = Application(router: api.makeRouter())
        return try await application.test(.router) { client in try await body(client) }
    }
}

/// `count` requests sent at once (`send(i)` makes request i), their replies in request order.
func concurrentReplies(
    _ count: Int, _ send: @escaping @Sendable (Int) async throws -> JSONReply
) async throws -> [JSONReply] {
    try await withThrowingTaskGroup(of: (Int, JSONReply).self) { group in
        for i in 0..<count { group.addTask { (i, try await send(i)) } }
        var replies = [JSONReply?](repeating: nil, count: count)
        for try await (i, reply) in group { replies[i] = reply }
        return replies.compactMap { $0 }
    }
}

/// A response read as JSON.
struct JSONReply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    /// The `error` object of an OpenAI error body.
    var error: [String: Any]? { object["error"] as? [String: Any] }
    var errorMessage: String { error?["message"] as? String ?? "(no error message in \(text))" }
}

extension TestClientProtocol {
    /// POSTs `body` (raw bytes, sent as given) to `uri`.
    func post(_ uri: String, _ body: String, headers: HTTPFields = [.contentType: "application/json"]) async throws
        -> JSONReply
    {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            JSONReply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// POSTs `object` as JSON to `uri`.
    func post(_ uri: String, json object: [String: Any], headers: HTTPFields = [.contentType: "application/json"])
        async throws -> JSONReply
    {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await post(uri, String(decoding: data, as: UTF8.self), headers: headers)
    }

    /// GETs `uri`.
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> JSONReply {
        try await execute(uri: uri, method: .get, headers: headers) { response in
            JSONReply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

/// Checks `reply` is an OpenAI error with `status` whose message contains every one of `fragments`.
func expectError(
    _ reply: JSONReply, _ status: HTTPResponse.Status, param: String? = nil, containing fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(reply.status == status, "status of \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    guard let error = reply.error else {
        Issue.record("no error object in \(reply.text)", sourceLocation: sourceLocation)
        return
    }
    #expect(error["type"] is String, sourceLocation: sourceLocation)
    #expect(error.keys.contains("param") && error.keys.contains("code"), sourceLocation: sourceLocation)
    if let param {
        #expect(error["param"] as? String == param, "param of \(reply.text)", sourceLocation: sourceLocation)
    }
    for fragment in fragments {
        #expect(
            reply.errorMessage.contains(fragment), "\(fragment) in \(reply.errorMessage)",
            sourceLocation: sourceLocation)
    }
}
