import AttendModels
import Foundation
import Hummingbird
import Logging

/// Attend's OpenAI-compatible HTTP API, as routes a Hummingbird 2 application mounts:
///
///     GET  /health                 200 {"status": "ok"} (the models are loaded before routes exist)
///     GET  /metrics                Prometheus text: requests, latencies, tokens
///     GET  /v1/models              the served models
///     GET  /v1/models/{id}         one of them (by id or alias)
///     POST /v1/embeddings          sentence embeddings (batched across concurrent requests)
///     POST /v1/chat/completions    chat, plain or streamed (continuous batching across requests)
///
/// Every refusal is a 4xx with OpenAI's error body (``APIError``); with an API key, every `/v1`
/// request must carry `Authorization: Bearer <key>`.
///
///     let api = try AttendAPI(models: models)
///     let router = Router()
///     api.addRoutes(to: router)
///     try await Application(router: router).runService()
public struct AttendAPI: Sendable {
    /// The models answered with.
    public let models: ServedModels
    /// The limits applied to every request.
    public let limits: ServerLimits
    /// The bearer token `/v1` requests must carry, if any.
    public let apiKey: String?
    /// Request counters and latency histograms (`GET /metrics`).
    public let metrics: ServerMetrics
    let logger: Logger
    let embeddings: EmbeddingBatcher?
    let chat: ChatModel?

    /// The chat model with its parts ready for requests.
    struct ChatModel: Sendable {
        let served: ServedModel<TextGenerator>
        let template: ChatTemplate
        let scheduler: GenerationScheduler
    }

    /// An API over `models` with `limits`; all model work runs on one compute queue of its own.
    /// - Throws: ``APIError`` when the chat model has no chat template Attend recognizes, or a
    ///   limit is not positive.
    public init(
        models: ServedModels, limits: ServerLimits = ServerLimits(), apiKey: String? = nil,
        logger: Logger = Logger(label: "attend.server")
    ) throws {
        let positive: [(String, Int)] = [
            ("maxBodyBytes", limits.maxBodyBytes), ("maxEmbeddingInputs", limits.maxEmbeddingInputs),
            ("embeddingBatchTokens", limits.embeddingBatchTokens),
            ("maxWaitingEmbeddingRequests", limits.maxWaitingEmbeddingRequests),
            ("maxActiveChats", limits.maxActiveChats), ("maxWaitingChats", limits.maxWaitingChats),
            ("chatContextLength", limits.chatContextLength),
        ]
        if let (name, value) = positive.first(where: { $0.1 < 1 }) {
            throw APIError(
                status: .internalServerError, message: "ServerLimits.\(name) must be at least 1, got \(value)",
                type: "server_error")
        }
        self.models = models
        self.limits = limits
        self.apiKey = apiKey
        self.logger = logger
        metrics = ServerMetrics()
        let lane = ComputeLane()
        embeddings = models.embedding.map {
            EmbeddingBatcher(
                embedder: $0.model, lane: lane, batchTokens: limits.embeddingBatchTokens,
                maxWaiting: limits.maxWaitingEmbeddingRequests)
        }
        if let served = models.chat {
            guard let text = served.model.chatTemplate else {
                throw APIError(
                    status: .internalServerError, message: "the chat model \(served.id) has no chat template",
                    type: "server_error")
            }
            let template: ChatTemplate
            do {
                template = try ChatTemplate(template: text)
            } catch {
                throw APIError(status: .internalServerError, message: "\(error)", type: "server_error")
            }
            chat = ChatModel(
                served: served, template: template,
                scheduler: GenerationScheduler(
                    generator: served.model, lane: lane, maxActive: limits.maxActiveChats,
                    maxWaiting: limits.maxWaitingChats))
        } else {
            chat = nil
        }
    }

    /// Adds the routes, and the middleware they need (error bodies, the API key, a log line and
    /// metrics per request), to `router`. Add them before the application's own routes if those
    /// should not pass through this middleware.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics))
        router.add(middleware: ErrorResponseMiddleware(logger: logger))
        if let apiKey { router.add(middleware: APIKeyMiddleware(key: apiKey, protectedPrefix: "/v1")) }
        router.get("health") { _, _ in
            try jsonResponse(["status": "ok"])
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.registry.emitToString())))
        }
        router.get("v1/models") { _, _ in
            var data: [ModelList.Model] = []
            if let served = models.embedding { data.append(.init(id: served.id, created: served.created)) }
            if let served = models.chat { data.append(.init(id: served.id, created: served.created)) }
            return try jsonResponse(ModelList(data: data))
        }
        router.get("v1/models/{id}") { _, context in
            let name = context.parameters.get("id") ?? ""
            let listed: [(String, Int, Bool)] = [
                models.embedding.map { ($0.id, $0.created, $0.answers(to: name)) },
                models.chat.map { ($0.id, $0.created, $0.answers(to: name)) },
            ].compactMap { $0 }
            guard let (id, created, _) = listed.first(where: { $0.2 }) else {
                throw APIError.modelNotFound(name, served: models.ids)
            }
            return try jsonResponse(ModelList.Model(id: id, created: created))
        }
        router.post("v1/embeddings") { request, _ in
            try await embeddingsResponse(request)
        }
        router.post("v1/chat/completions") { request, _ in
            try await chatResponse(request)
        }
    }

    /// A router with the API's routes alone, for an application that serves only them.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }
}

/// `value` as a JSON response (status 200 unless given).
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}
