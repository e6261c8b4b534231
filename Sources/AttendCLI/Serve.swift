import ArgumentParser
import Attend
import AttendModels
import AttendServer
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `attend serve`: the OpenAI-compatible HTTP API (AttendServer) over the cached or given models.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An OpenAI-compatible HTTP server: /v1/embeddings, /v1/chat/completions (streamed), /v1/models.",
        discussion: """
            By default it serves the cached all-MiniLM-L6-v2 for embeddings and SmolLM2-135M-Instruct for \\
            chat (python3 scripts/fetch_model.py --all fetches both), on 127.0.0.1:8080. Any OpenAI client \\
            works with base_url http://HOST:PORT/v1. Concurrent embedding requests share encoder batches; \\
            concurrent chats are decoded together, one step for all. SIGTERM or SIGINT stops accepting \\
            connections, finishes the requests in flight and exits 0. One log line per request goes to stderr.
            """)

    @Option(help: "The address to listen on (loopback by default; 0.0.0.0 for every interface).")
    var host = "127.0.0.1"
    @Option(help: "The port (0: any free port; the one chosen is printed).") var port = 8080
    @Option(help: "The embedding model: minilm (cached), a sentence-transformers folder, or none.")
    var embeddingModel = "minilm"
    @Option(help: "The chat model: smollm2 (cached), a GGUF file, or none.") var generationModel = "smollm2"
    @Option(
        help:
            "Require 'Authorization: Bearer KEY' on every /v1 request (default: the ATTEND_API_KEY environment variable, if set)."
    )
    var apiKey: String?
    @Option(help: "The largest request body, in bytes.") var maxBodyBytes = ServerLimits().maxBodyBytes
    @Option(help: "The most inputs per embeddings request.") var maxEmbeddingInputs = ServerLimits().maxEmbeddingInputs
    @Option(help: "The most tokens per encoder batch.") var embeddingBatchTokens = ServerLimits().embeddingBatchTokens
    @Option(help: "The most embedding requests waiting (429 beyond).")
    var maxWaitingEmbeddings = ServerLimits().maxWaitingEmbeddingRequests
    @Option(help: "The most chats decoded together.") var maxActiveChats = ServerLimits().maxActiveChats
    @Option(help: "The most chats waiting to start (429 beyond).") var maxWaitingChats = ServerLimits().maxWaitingChats
    @Option(help: "The most positions (prompt + answer) of one chat.") var chatContext = ServerLimits()
        .chatContextLength
    @Option(help: "Seconds a connection may send nothing before it is closed (a stalled client).")
    var idleTimeout = 60
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    static let command = "attend serve"

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw CLIError("\(Self.command): --port must be in 0...65535, got \(port)")
        }
        let limits: [(String, Int)] = [
            ("--max-body-bytes", maxBodyBytes), ("--max-embedding-inputs", maxEmbeddingInputs),
            ("--embedding-batch-tokens", embeddingBatchTokens), ("--max-waiting-embeddings", maxWaitingEmbeddings),
            ("--max-active-chats", maxActiveChats), ("--max-waiting-chats", maxWaitingChats),
            ("--chat-context", chatContext), ("--idle-timeout", idleTimeout),
        ]
        if let (flag, value) = limits.first(where: { $0.1 < 1 }) {
            throw CLIError("\(Self.command): \(flag) must be at least 1, got \(value)")
        }
        if let threads, threads < 1 { throw CLIError("\(Self.command): --threads must be at least 1") }
        if embeddingModel == "none", generationModel == "none" {
            throw CLIError("\(Self.command): --embedding-model none and --generation-model none leave nothing to serve")
        }
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        var limits = ServerLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxEmbeddingInputs = maxEmbeddingInputs
        limits.embeddingBatchTokens = embeddingBatchTokens
        limits.maxWaitingEmbeddingRequests = maxWaitingEmbeddings
        limits.maxActiveChats = maxActiveChats
        limits.maxWaitingChats = maxWaitingChats
        limits.chatContextLength = chatContext
        let models = ServedModels(embedding: try loadEmbeddingModel(), chat: try loadChatModel())
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "attend.serve")
        let key = apiKey ?? ProcessInfo.processInfo.environment["ATTEND_API_KEY"]
        let api: AttendAPI
        do {
            api = try AttendAPI(models: models, limits: limits, apiKey: key, logger: logger)
        } catch {
            throw CLIError("\(Self.command): \(error)")
        }
        let host = self.host
        let port = self.port
        let served = models.ids.joined(separator: ", ")
        let application = Application(
            router: api.makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeout)))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "attend"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                StandardError.writeLine("\(Self.command): listening on http://\(host):\(bound) (models: \(served))")
            },
            logger: logger)
        let outcome = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await application.runService()
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw CLIError("\(Self.command): \(error)") }
        StandardError.writeLine("\(Self.command): stopped")
    }

    private func loadEmbeddingModel() throws -> ServedModel<SentenceEmbedder>? {
        guard embeddingModel != "none" else { return nil }
        let (choice, kind) = ModelChoice.resolve(embeddingModel)
        guard kind == .bertWordPiece else {
            throw CLIError(
                "\(Self.command): --embedding-model \(choice.name) is a text-generation model, not a sentence-embedding one"
            )
        }
        let embedder = try loadModel(choice, command: Self.command) {
            try SentenceEmbedder(directory: choice.directory, model: choice.cacheName)
        }
        if embeddingModel == "minilm" {
            return ServedModel(id: "all-MiniLM-L6-v2", aliases: ["minilm"], model: embedder)
        }
        return ServedModel(id: choice.directory.standardizedFileURL.lastPathComponent, model: embedder)
    }

    private func loadChatModel() throws -> ServedModel<TextGenerator>? {
        guard generationModel != "none" else { return nil }
        let path = generationModel == "smollm2" ? nil : generationModel
        let generator = try SmolLM2Command.loadGenerator(command: Self.command, model: path)
        guard let path else {
            return ServedModel(id: "SmolLM2-135M-Instruct", aliases: ["smollm2"], model: generator)
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        return ServedModel(
            id: name.lowercased().hasSuffix(".gguf") ? String(name.dropLast(5)) : name, model: generator)
    }
}
