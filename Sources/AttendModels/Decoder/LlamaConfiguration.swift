import Attend

/// The hyperparameters of a Llama-architecture decoder, read from GGUF metadata
/// (`general.architecture = "llama"`, keys `llama.*`) — never from constants.
///
/// SmolLM2-135M: 30 layers, d_model 576, FFN 1536, 9 query heads sharing 3 key/value heads
/// (head dim 64), RoPE base 100000, RMSNorm eps 1e-5, context 8192, vocabulary 49152.
public struct LlamaConfiguration: Sendable, Equatable {
    /// The number of decoder blocks (`llama.block_count`; 30 for SmolLM2-135M).
    public var layerCount: Int
    /// d_model, the residual stream's width E: hidden states are `[B, L, E]` (`llama.embedding_length`).
    public var modelDimension: Int
    /// The SwiGLU hidden width F: `gate`/`up` are `[F, E]`, `down` is `[E, F]` (`llama.feed_forward_length`).
    public var feedForwardDimension: Int
    /// H, the number of query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// Hkv, the number of key/value heads shared by groups of H/Hkv query heads (grouped-query
    /// attention; `llama.attention.head_count_kv`, H when absent).
    public var keyValueHeadCount: Int
    /// d = E / H, the width of one head's queries, keys and values (and of the rotary embedding).
    public var headDimension: Int
    /// θ's base in the rotary embedding, θᵢ = base^(−2i/d) (`llama.rope.freq_base`, 10 000 when absent).
    public var ropeBase: Double
    /// `eps` of every RMSNorm, `x / √(mean(x²) + eps)` (`llama.attention.layer_norm_rms_epsilon`).
    public var rmsNormEpsilon: Double
    /// The most positions the model was trained on (`llama.context_length`): the KV cache's natural capacity.
    public var contextLength: Int
    /// V, the number of tokens (`tokenizer.ggml.tokens`): logits are `[B, L, V]`.
    public var vocabularySize: Int

    /// A configuration from given values (no check; ``init(gguf:)`` checks what it reads).
    public init(
        layerCount: Int, modelDimension: Int, feedForwardDimension: Int, headCount: Int, keyValueHeadCount: Int,
        headDimension: Int, ropeBase: Double, rmsNormEpsilon: Double, contextLength: Int, vocabularySize: Int
    ) {
        self.layerCount = layerCount
        self.modelDimension = modelDimension
        self.feedForwardDimension = feedForwardDimension
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDimension = headDimension
        self.ropeBase = ropeBase
        self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Reads the configuration of a `llama` GGUF file.
    /// - Throws: ``DecoderModelError`` naming the key when a value is missing, of the wrong type or
    ///   inconsistent (heads not dividing the width, query heads not a multiple of key/value heads).
    public init(gguf file: GGUFFile) throws {
        let architecture = file[metadata: "general.architecture"]?.stringValue ?? "(none)"
        guard architecture == "llama" else {
            throw DecoderModelError(
                "\(file.name) has general.architecture \"\(architecture)\"; this decoder implements \"llama\"")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = file[metadata: "llama." + key], let n = value.intValue, n > 0 else {
                throw DecoderModelError(
                    "\(file.name): llama.\(key) is \(file[metadata: "llama." + key]?.summary() ?? "missing"); expected a positive integer"
                )
            }
            return n
        }
        func real(_ key: String, default fallback: Double? = nil) throws -> Double {
            if let value = file[metadata: "llama." + key]?.doubleValue, value > 0, value.isFinite { return value }
            if let fallback, file[metadata: "llama." + key] == nil { return fallback }
            throw DecoderModelError(
                "\(file.name): llama.\(key) is \(file[metadata: "llama." + key]?.summary() ?? "missing"); expected a positive number"
            )
        }
        layerCount = try integer("block_count")
        modelDimension = try integer("embedding_length")
        feedForwardDimension = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        keyValueHeadCount =
            file[metadata: "llama.attention.head_count_kv"] == nil ? headCount : try integer("attention.head_count_kv")
        ropeBase = try real("rope.freq_base", default: 10_000)
        rmsNormEpsilon = try real("attention.layer_norm_rms_epsilon")
        contextLength = try integer("context_length")
        guard modelDimension % headCount == 0, headCount % keyValueHeadCount == 0 else {
            throw DecoderModelError(
                "\(file.name): \(headCount) query heads must divide embedding_length \(modelDimension) and be a multiple of the \(keyValueHeadCount) key/value heads"
            )
        }
        headDimension = modelDimension / headCount
        if file[metadata: "llama.rope.dimension_count"] != nil {
            let rotated = try integer("rope.dimension_count")
            guard rotated == headDimension else {
                throw DecoderModelError(
                    "\(file.name): llama.rope.dimension_count \(rotated) differs from the head dimension \(headDimension); partial rotary embedding is not implemented"
                )
            }
        }
        guard let tokens = file[metadata: "tokenizer.ggml.tokens"]?.arrayValue else {
            throw DecoderModelError("\(file.name) has no tokenizer.ggml.tokens, so no vocabulary size")
        }
        vocabularySize = tokens.count
    }
}

/// A GGUF model file that does not describe a decoder this target can run, or a missing model file
/// (folder-based models report ``ModelError``).
public struct DecoderModelError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the file and the key or tensor.
    public let message: String
    /// An error with `message` as its whole ``description``.
    public init(_ message: String) { self.message = message }
    /// The ``message``.
    public var description: String { message }
}
