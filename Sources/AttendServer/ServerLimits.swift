/// What one request, and the server as a whole, may ask for. Every limit bounds memory or time
/// a stranger's request can take; `attend serve` exposes each as a flag with these defaults.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body read, in bytes (413 beyond; a declared `Content-Length` over it is
    /// refused before reading).
    public var maxBodyBytes = 16 << 20
    /// The most inputs one embeddings request may carry (OpenAI's limit).
    public var maxEmbeddingInputs = 2048
    /// The most tokens per encoder batch (requests are gathered up to it).
    public var embeddingBatchTokens = 2048
    /// The most embedding requests waiting for the encoder (429 beyond).
    public var maxWaitingEmbeddingRequests = 1024
    /// The most chat sequences decoded together (continuous batching).
    public var maxActiveChats = 8
    /// The most chat requests waiting to join the batch (429 beyond).
    public var maxWaitingChats = 64
    /// The most positions (prompt and completion) one chat sequence may take; its KV cache holds
    /// at most this many (≈ 46 KB a position for SmolLM2-135M).
    public var chatContextLength = 2048

    /// The defaults above.
    public init() {}
}
