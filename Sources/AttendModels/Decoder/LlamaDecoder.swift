import Attend

/// A Llama-family decoder-only transformer (SmolLM2, Llama 2/3, Qwen2; see
/// ``DecoderArchitecture``), pre-norm:
///
///     x = embed[ids]                                                  // [1, L, d]
///     for each layer:
///         h = RMSNorm(x)
///         q, k, v = h·Wqᵀ (+ bq), h·Wkᵀ (+ bk), h·Wvᵀ (+ bv) → heads [1, H, L, Dh], [1, Hkv, L, Dh]
///         q, k = RoPE(q, past), RoPE(k, past)             // the architecture's pairs, scaled angles
///         cache.append(k, v)                                           // in place
///         a = GQA(q, cache.keys, cache.values, causal from the end)   // [1, H, L, Dh]
///         x = x + a·Woᵀ
///         x = x + SwiGLU(RMSNorm(x))
///     logits = RMSNorm(x)·Wₒᵀ                // Wₒ = output.weight, or the embedding when tied
///
/// With an empty cache one call is the prefill (the fused kernel over the whole prompt, causal);
/// each later call with one id is a decode step, Lq = 1 against the cached history, which is
/// neither recomputed nor copied.
public struct LlamaDecoder: Sendable {
    /// The weights of one decoder block (GGUF `blk.N.*`): `x = x + attention(attentionNorm(x))`, then
    /// `x = x + SwiGLU(feedForwardNorm(x))`.
    public struct Layer: Sendable {
        /// `attn_norm`: the RMSNorm `[d]` before the attention.
        public var attentionNorm: RMSNorm<Float>
        /// The attention projections: `query [H·Dh, d]`, `key`/`value [Hkv·Dh, d]`, `output [d, H·Dh]`
        /// (`attn_q`, `attn_k`, `attn_v`, `attn_output`).
        public var query: Projection, key: Projection, value: Projection, output: Projection
        /// `ffn_norm`: the RMSNorm `[d]` before the feed-forward.
        public var feedForwardNorm: RMSNorm<Float>
        /// SwiGLU: down(silu(gate·x) ⊙ up·x).
        public var gate: Projection, up: Projection, down: Projection
    }

    /// The hyperparameters the weights were checked against.
    public let configuration: LlamaConfiguration
    /// `[vocabulary, d]`: the token embedding.
    public let embedding: Projection
    /// `[vocabulary, d]`: the output head — `output.weight`, or ``embedding`` itself when the file
    /// ties them.
    public let head: Projection
    /// The decoder blocks, in order (``LlamaConfiguration/layerCount`` of them).
    public let layers: [Layer]
    /// `output_norm`: the RMSNorm `[d]` applied before the output head.
    public let finalNorm: RMSNorm<Float>
    /// RoPE over each head's Dh features: the architecture's pairs
    /// (``DecoderArchitecture/rotaryPairing``), base ``LlamaConfiguration/ropeBase``, angles
    /// stretched by ``LlamaConfiguration/ropeScaling``.
    public let rotary: RotaryEmbedding

    /// A decoder from its weights; the output head is `head`, or the embedding when `head` is nil.
    /// - Throws: ``DecoderModelError`` when the embedding or the head is not `[vocabulary, d]` or
    ///   the layer count differs from the configuration.
    public init(
        configuration: LlamaConfiguration, embedding: Projection, head: Projection? = nil, layers: [Layer],
        finalNorm: RMSNorm<Float>
    ) throws {
        for (role, matrix) in [("embedding", embedding), ("output head", head ?? embedding)]
        where matrix.shape != [configuration.vocabularySize, configuration.modelDimension] {
            throw DecoderModelError(
                "LlamaDecoder: \(role) \(matrix.shape) must be [vocabulary \(configuration.vocabularySize), d \(configuration.modelDimension)]"
            )
        }
        guard layers.count == configuration.layerCount else {
            throw DecoderModelError(
                "LlamaDecoder: \(layers.count) layers given, the configuration has \(configuration.layerCount)")
        }
        self.configuration = configuration
        self.embedding = embedding
        self.head = head ?? embedding
        self.layers = layers
        self.finalNorm = finalNorm
        rotary = try RotaryEmbedding(
            dimension: configuration.headDimension, base: configuration.ropeBase,
            pairing: configuration.architecture.rotaryPairing, scaling: configuration.ropeScaling)
    }

    /// Empty per-layer caches for `capacity` positions (at most the context length).
    public func makeCache(capacity: Int) -> [KVCache<Float>] {
        let c = configuration
        return (0..<c.layerCount).map { _ in
            KVCache<Float>(
                batch: 1, heads: c.keyValueHeadCount, capacity: Swift.min(capacity, c.contextLength),
                keyDimension: c.headDimension, valueDimension: c.headDimension)
        }
    }

    /// Runs `ids` after the history in `cache` and returns the logits `[L, vocabulary]` of every new
    /// position, or `[1, vocabulary]` of the last one when `allPositions` is false.
    /// - Throws: ``DecoderModelError`` for an id outside the vocabulary or a full cache.
    public func forward(_ ids: [Int], cache: inout [KVCache<Float>], allPositions: Bool = false) throws -> Tensor<Float>
    {
        let c = configuration
        guard !ids.isEmpty else { throw DecoderModelError("LlamaDecoder.forward: no token ids given") }
        if let bad = ids.first(where: { !(0..<c.vocabularySize).contains($0) }) {
            throw DecoderModelError(
                "LlamaDecoder.forward: token id \(bad) is outside the vocabulary 0..<\(c.vocabularySize)")
        }
        guard cache.count == c.layerCount, let past = cache.first?.length else {
            throw DecoderModelError(
                "LlamaDecoder.forward: \(cache.count) layer caches given for \(c.layerCount) layers")
        }
        guard past + ids.count <= cache[0].capacity else {
            throw DecoderModelError(
                "LlamaDecoder.forward: \(past) cached + \(ids.count) new positions exceed the cache capacity \(cache[0].capacity)"
            )
        }
        let n = ids.count
        let d = c.modelDimension
        let dh = c.headDimension
        var x = try embedding.rows(ids).view([1, n, d])  // [1, L, d]
        for (index, layer) in layers.enumerated() {
            let h = try layer.attentionNorm(x)  // [1, L, d]
            let qkv = try Projection.apply([layer.query, layer.key, layer.value], to: h)
            let q = try qkv[0].view([1, n, c.headCount, dh]).permuted(0, 2, 1, 3)  // [1, H, L, Dh]
            let k = try qkv[1].view([1, n, c.keyValueHeadCount, dh]).permuted(0, 2, 1, 3)  // [1, Hkv, L, Dh]
            let v = try qkv[2].view([1, n, c.keyValueHeadCount, dh]).permuted(0, 2, 1, 3)
            let qr = try rotary(q, positionOffset: past)
            let kr = try rotary(k, positionOffset: past)
            try cache[index].append(keys: kr, values: v)
            let a = try groupedQueryAttention(
                // [1, H, L, Dh]
                queries: qr, keys: cache[index].keys, values: cache[index].values, mask: .causalFromEnd)
            let merged = try a.permuted(0, 2, 1, 3).reshaped([1, n, d])  // [1, L, d]
            x = try x + layer.output(merged)
            let h2 = try layer.feedForwardNorm(x)
            let gateUp = try Projection.apply([layer.gate, layer.up], to: h2)
            x = try x + layer.down(siluGated(gateUp[0], gateUp[1]))
        }
        let last = allPositions ? x : try x.narrowed(1, start: n - 1, length: 1)  // [1, L or 1, d]
        let normed = try finalNorm(last)
        return try head(normed).view([allPositions ? n : 1, c.vocabularySize])
    }
}

extension LlamaDecoder {
    /// The decoder a GGUF file of a ``DecoderArchitecture`` describes, block-quantized matrices
    /// kept in their blocks (``WeightFormat/quantized``) or dequantized to float32. Tensor names
    /// are llama.cpp's: `token_embd`, `blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output,
    /// ffn_norm, ffn_gate, ffn_up, ffn_down}`, `output_norm`; `output` when the head is not tied;
    /// `blk.N.attn_{q,k,v}.bias` when present (required for `qwen2`); `rope_freqs` (see
    /// ``LlamaConfiguration/ropeScaling``).
    /// - Throws: ``DecoderModelError`` or `FileFormatError` naming the missing or misshapen tensor.
    public init(gguf file: GGUFFile, weights format: WeightFormat = .quantized) throws {
        let c = try LlamaConfiguration(gguf: file)
        func check(_ name: String, _ shape: [Int]) throws -> GGUFTensorInfo {
            guard let info = file.tensorInfo(named: name) else {
                throw DecoderModelError("\(file.name) has no tensor \"\(name)\"")
            }
            guard info.shape == shape else {
                throw DecoderModelError(
                    "\(file.name): tensor \"\(name)\" has shape \(info.shape) (row-major); expected \(shape)")
            }
            return info
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor<Float> {
            _ = try check(name, shape)
            return try file.tensor(named: name)
        }
        /// The weight `name.weight` and, when the file has it (or `biased` requires it), `name.bias`.
        func projection(_ name: String, out: Int, in inFeatures: Int, biased: Bool = false) throws -> Projection {
            let weight = name + ".weight"
            let info = try check(weight, [out, inFeatures])
            let bias =
                biased || file.tensorInfo(named: name + ".bias") != nil ? try tensor(name + ".bias", [out]) : nil
            if format == .quantized, info.type.isBlockQuantized {
                return .quantized(try QuantizedLinear(gguf: file, tensor: weight, bias: bias))
            }
            return .dense(try Linear(weight: file.tensor(named: weight), bias: bias))
        }
        let biased = c.architecture.requiresAttentionBias
        let d = c.modelDimension
        let f = c.feedForwardDimension
        let dh = c.headDimension
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            layers.append(
                Layer(
                    attentionNorm: try RMSNorm(weight: tensor(p + "attn_norm.weight", [d]), eps: c.rmsNormEpsilon),
                    query: try projection(p + "attn_q", out: c.headCount * dh, in: d, biased: biased),
                    key: try projection(p + "attn_k", out: c.keyValueHeadCount * dh, in: d, biased: biased),
                    value: try projection(p + "attn_v", out: c.keyValueHeadCount * dh, in: d, biased: biased),
                    output: try projection(p + "attn_output", out: d, in: c.headCount * dh),
                    feedForwardNorm: try RMSNorm(weight: tensor(p + "ffn_norm.weight", [d]), eps: c.rmsNormEpsilon),
                    gate: try projection(p + "ffn_gate", out: f, in: d),
                    up: try projection(p + "ffn_up", out: f, in: d),
                    down: try projection(p + "ffn_down", out: d, in: f)))
        }
        let untied = file.tensorInfo(named: "output.weight") != nil
        try self.init(
            configuration: c, embedding: projection("token_embd", out: c.vocabularySize, in: d),
            head: untied ? projection("output", out: c.vocabularySize, in: d) : nil, layers: layers,
            finalNorm: RMSNorm(weight: tensor("output_norm.weight", [d]), eps: c.rmsNormEpsilon))
    }
}
