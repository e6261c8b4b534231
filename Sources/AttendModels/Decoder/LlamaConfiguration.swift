import Attend

/// The hyperparameters of a Llama-family decoder, read from GGUF metadata
/// (`general.architecture` is one of ``DecoderArchitecture``, keys `<architecture>.*`) — never
/// from constants.
///
/// SmolLM2-135M: 30 layers, d_model 576, FFN 1536, 9 query heads sharing 3 key/value heads
/// (head dim 64), RoPE base 100000, RMSNorm eps 1e-5, context 8192, vocabulary 49152.
public struct LlamaConfiguration: Sendable, Equatable {
    /// The family named by `general.architecture`: its metadata prefix, rotary pairing and biases.
    public var architecture: DecoderArchitecture
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
    /// How the rotary angles are stretched: `rope.scaling.type = "linear"` with `rope.scaling.factor`,
    /// or the per-pair divisors of a `rope_freqs.weight` tensor (Llama 3's frequency scaling).
    public var ropeScaling: RotaryEmbedding.Scaling

    /// A configuration from given values (no check; ``init(gguf:)`` checks what it reads).
    public init(
        architecture: DecoderArchitecture = .llama, layerCount: Int, modelDimension: Int, feedForwardDimension: Int,
        headCount: Int, keyValueHeadCount: Int, headDimension: Int, ropeBase: Double,
        ropeScaling: RotaryEmbedding.Scaling = .none, rmsNormEpsilon: Double, contextLength: Int, vocabularySize: Int
    ) {
        self.architecture = architecture
        self.ropeScaling = ropeScaling
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

    /// Reads the configuration of a GGUF file whose `general.architecture` is one of
    /// ``DecoderArchitecture``.
    /// - Throws: ``DecoderModelError`` naming the architecture when it is not supported, and the
    ///   key when a value is missing, of the wrong type or inconsistent (heads not dividing the
    ///   width, query heads not a multiple of key/value heads, a rope scaling type other than
    ///   `none` or `linear`).
    public init(gguf file: GGUFFile) throws {
        let name = file[metadata: "general.architecture"]?.stringValue ?? "(none)"
        guard let architecture = DecoderArchitecture(rawValue: name) else {
            throw DecoderModelError(
                "\(file.name) has general.architecture \"\(name)\"; supported: \(DecoderArchitecture.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.architecture = architecture
        let prefix = architecture.rawValue + "."
        func integer(_ key: String) throws -> Int {
            guard let value = file[metadata: prefix + key], let n = value.intValue, n > 0 else {
                throw DecoderModelError(
                    "\(file.name): \(prefix + key) is \(file[metadata: prefix + key]?.summary() ?? "missing"); expected a positive integer"
                )
            }
            return n
        }
        func real(_ key: String, default fallback: Double? = nil) throws -> Double {
            if let value = file[metadata: prefix + key]?.doubleValue, value > 0, value.isFinite { return value }
            if let fallback, file[metadata: prefix + key] == nil { return fallback }
            throw DecoderModelError(
                "\(file.name): \(prefix + key) is \(file[metadata: prefix + key]?.summary() ?? "missing"); expected a positive number"
            )
        }
        layerCount = try integer("block_count")
        modelDimension = try integer("embedding_length")
        feedForwardDimension = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        keyValueHeadCount =
            file[metadata: prefix + "attention.head_count_kv"] == nil
            ? headCount : try integer("attention.head_count_kv")
        ropeBase = try real("rope.freq_base", default: 10_000)
        rmsNormEpsilon = try real("attention.layer_norm_rms_epsilon")
        contextLength = try integer("context_length")
        guard modelDimension % headCount == 0, headCount % keyValueHeadCount == 0 else {
            throw DecoderModelError(
                "\(file.name): \(headCount) query heads must divide embedding_length \(modelDimension) and be a multiple of the \(keyValueHeadCount) key/value heads"
            )
        }
        headDimension = modelDimension / headCount
        if file[metadata: prefix + "rope.dimension_count"] != nil {
            let rotated = try integer("rope.dimension_count")
            guard rotated == headDimension else {
                throw DecoderModelError(
                    "\(file.name): \(prefix)rope.dimension_count \(rotated) differs from the head dimension \(headDimension); partial rotary embedding is not implemented"
                )
            }
        }
        ropeScaling = try Self.ropeScaling(file, prefix: prefix, pairs: headDimension / 2)
        guard let tokens = file[metadata: "tokenizer.ggml.tokens"]?.arrayValue else {
            throw DecoderModelError("\(file.name) has no tokenizer.ggml.tokens, so no vocabulary size")
        }
        vocabularySize = tokens.count
    }

    /// `rope.scaling.type` and the `rope_freqs.weight` tensor of per-pair divisors; at most one of
    /// the two may stretch the angles. As llama.cpp reads them: the type defaults to `linear`, the
    /// factor comes from `rope.scaling.factor` or the older `rope.scale_linear`, and an absent factor,
    /// 0 or 1 means no stretching.
    private static func ropeScaling(_ file: GGUFFile, prefix: String, pairs: Int) throws -> RotaryEmbedding.Scaling {
        let typeKey = prefix + "rope.scaling.type"
        let type = file[metadata: typeKey].map { $0.stringValue ?? "(a \($0.typeName))" } ?? "linear"
        guard type == "none" || type == "linear" else {
            throw DecoderModelError(
                "\(file.name): \(typeKey) is \"\(type)\"; implemented: none, linear (and Llama 3's rope_freqs.weight)")
        }
        var scaling = RotaryEmbedding.Scaling.none
        for key in [prefix + "rope.scaling.factor", prefix + "rope.scale_linear"] {
            guard let value = file[metadata: key] else { continue }
            guard let factor = value.doubleValue, factor >= 0, factor.isFinite else {
                throw DecoderModelError(
                    "\(file.name): \(key) is \(value.summary()); expected a finite number ≥ 0 (0 or 1: no scaling)")
            }
            if factor != 0, factor != 1, type == "linear" { scaling = .linear(factor: factor) }
            break
        }
        guard let info = file.tensorInfo(named: "rope_freqs.weight") else { return scaling }
        guard info.shape == [pairs], info.type == .f32 else {
            throw DecoderModelError(
                "\(file.name): tensor \"rope_freqs.weight\" is \(info.type.name) \(info.shape); expected F32 [\(pairs)] (one divisor per rotary pair)"
            )
        }
        guard scaling == .none else {
            throw DecoderModelError(
                "\(file.name) has both \(typeKey) \"\(type)\" and rope_freqs.weight; combining them is not implemented")
        }
        let divisors = try file.tensor(named: "rope_freqs.weight").scalars.map(Double.init)
        if let bad = divisors.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw DecoderModelError(
                "\(file.name): rope_freqs.weight[\(bad)] is \(divisors[bad]); every divisor must be positive and finite"
            )
        }
        return .frequencyDivisors(divisors)
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
