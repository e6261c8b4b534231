import Attend

/// The hyperparameters of a Llama-architecture decoder, read from GGUF metadata
/// (`general.architecture = "llama"`, keys `llama.*`) — never from constants.
///
/// SmolLM2-135M: 30 layers, d_model 576, FFN 1536, 9 query heads sharing 3 key/value heads
/// (head dim 64), RoPE base 100000, RMSNorm eps 1e-5, context 8192, vocabulary 49152.
public struct LlamaConfiguration: Sendable, Equatable {
    public var layerCount: Int
    public var modelDimension: Int
    public var feedForwardDimension: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headDimension: Int
    public var ropeBase: Double
    public var rmsNormEpsilon: Double
    public var contextLength: Int
    public var vocabularySize: Int

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
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
