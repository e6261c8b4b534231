import AttendModels
import Foundation

/// A model the server answers for, under the id clients name it by (`model` in a request).
public struct ServedModel<Model: Sendable>: Sendable {
    /// The id `GET /v1/models` lists and answers carry.
    public let id: String
    /// Other names a request may use for it (the short cache names, `minilm`, `smollm2`).
    public let aliases: [String]
    /// The loaded model.
    public let model: Model
    /// When it was loaded (Unix seconds; OpenAI's `created`).
    public let created: Int

    /// A model served as `id` (and `aliases`).
    public init(id: String, aliases: [String] = [], model: Model) {
        self.id = id
        self.aliases = aliases
        self.model = model
        created = Int(Date().timeIntervalSince1970)
    }

    /// Whether a request's `model` names this one.
    func answers(to name: String) -> Bool { name == id || aliases.contains(name) }
}

/// The models a server answers with: a sentence embedder for `/v1/embeddings` and a chat model
/// for `/v1/chat/completions`, either of which may be absent (its route then answers 404 for
/// every model name).
public struct ServedModels: Sendable {
    /// The model of `/v1/embeddings`.
    public var embedding: ServedModel<SentenceEmbedder>?
    /// The model of `/v1/chat/completions`, with its chat format.
    public var chat: ServedModel<TextGenerator>?

    /// The models given.
    public init(embedding: ServedModel<SentenceEmbedder>? = nil, chat: ServedModel<TextGenerator>? = nil) {
        self.embedding = embedding
        self.chat = chat
    }

    /// Every served id (embedding model first).
    public var ids: [String] { [embedding?.id, chat?.id].compactMap { $0 } }
}
