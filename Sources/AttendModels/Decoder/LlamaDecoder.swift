import Attend

/// A Llama-architecture decoder-only transformer (SmolLM2, Llama 2/3 …), pre-norm:
///
///     x = embed[ids]                                                  // [1, L, d]
///     for each layer:
///         h = RMSNorm(x)
///         q, k, v = h·Wqᵀ, h·Wkᵀ, h·Wvᵀ → heads [1, H, L, Dh], [1, Hkv, L, Dh]
///         q, k = RoPE(q, past), RoPE(k, past)                          // adjacent pairs (GGUF rows)
///         cache.append(k, v)                                           // in place
///         a = GQA(q, cache.keys, cache.values, causal from the end)   // [1, H, L, Dh]
///         x = x + a·Woᵀ
///         x = x + SwiGLU(RMSNorm(x))
///     logits = RMSNorm(x)·Eᵀ                                          // output head tied to the embedding
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
    /// `[vocabulary, d]`, also the output head.
    public let embedding: Projection
    /// The decoder blocks, in order (``LlamaConfiguration/layerCount`` of them).
    public let layers: [Layer]
    /// `output_norm`: the RMSNorm `[d]` applied before the output head.
    public let finalNorm: RMSNorm<Float>
    /// RoPE over each head's Dh features, `RotaryEmbedding/Pairing/adjacent` pairs (GGUF's row order),
    /// base ``LlamaConfiguration/ropeBase``.
    public let rotary: RotaryEmbedding

    /// A decoder from its weights.
    /// - Throws: ``DecoderModelError`` when the embedding is not `[vocabulary, d]` or the layer count
    ///   differs from the configuration.
    public init(configuration: LlamaConfiguration, embedding: Projection, layers: [Layer], finalNorm: RMSNorm<Float>)
        throws
    {
        guard embedding.shape == [configuration.vocabularySize, configuration.modelDimension] else {
            throw DecoderModelError(
                "LlamaDecoder: embedding \(embedding.shape) must be [vocabulary \(configuration.vocabularySize), d \(configuration.modelDimension)]"
            )
        }
        guard layers.count == configuration.layerCount else {
            throw DecoderModelError(
                "LlamaDecoder: \(layers.count) layers given, the configuration has \(configuration.layerCount)")
        }
        self.configuration = configuration
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        rotary = try RotaryEmbedding(
            dimension: configuration.headDimension, base: configuration.ropeBase, pairing: .adjacent)
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
            let q = try layer.query(h).view([1, n, c.headCount, dh]).permuted(0, 2, 1, 3)  // [1, H, L, Dh]
            let k = try layer.key(h).view([1, n, c.keyValueHeadCount, dh]).permuted(0, 2, 1, 3)  // [1, Hkv, L, Dh]
            let v = try layer.value(h).view([1, n, c.keyValueHeadCount, dh]).permuted(0, 2, 1, 3)
            let qr = try rotary(q, positionOffset: past)
            let kr = try rotary(k, positionOffset: past)
            try cache[index].append(keys: kr, values: v)
            let a = try groupedQueryAttention(
                // [1, H, L, Dh]
                queries: qr, keys: cache[index].keys, values: cache[index].values, mask: .causalFromEnd)
            let merged = try a.permuted(0, 2, 1, 3).reshaped([1, n, d])  // [1, L, d]
            x = try x + layer.output(merged)
            let h2 = try layer.feedForwardNorm(x)
            x = try x + layer.down(siluGated(layer.gate(h2), layer.up(h2)))
        }
        let last = allPositions ? x : try x.narrowed(1, start: n - 1, length: 1)  // [1, L or 1, d]
        let normed = try finalNorm(last)
        return try embedding(normed).view([allPositions ? n : 1, c.vocabularySize])
    }
}

extension LlamaDecoder {
    /// The decoder a `llama` GGUF file describes, block-quantized matrices kept in their blocks
    /// (``WeightFormat/quantized``) or dequantized to float32. Tensor names
    /// are llama.cpp's: `token_embd`, `blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output,
    /// ffn_norm, ffn_gate, ffn_up, ffn_down}`, `output_norm`, and `output` when the head is not tied.
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
        func projection(_ name: String, out: Int, in inFeatures: Int) throws -> Projection {
            let info = try check(name, [out, inFeatures])
            if format == .quantized, info.type.isBlockQuantized {
                return .quantized(try QuantizedLinear(gguf: file, tensor: name))
            }
            return .dense(try Linear(weight: file.tensor(named: name), bias: nil))
        }
        let d = c.modelDimension
        let f = c.feedForwardDimension
        let dh = c.headDimension
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            layers.append(
                Layer(
                    attentionNorm: try RMSNorm(weight: tensor(p + "attn_norm.weight", [d]), eps: c.rmsNormEpsilon),
                    query: try projection(p + "attn_q.weight", out: c.headCount * dh, in: d),
                    key: try projection(p + "attn_k.weight", out: c.keyValueHeadCount * dh, in: d),
                    value: try projection(p + "attn_v.weight", out: c.keyValueHeadCount * dh, in: d),
                    output: try projection(p + "attn_output.weight", out: d, in: c.headCount * dh),
                    feedForwardNorm: try RMSNorm(weight: tensor(p + "ffn_norm.weight", [d]), eps: c.rmsNormEpsilon),
                    gate: try projection(p + "ffn_gate.weight", out: f, in: d),
                    up: try projection(p + "ffn_up.weight", out: f, in: d),
                    down: try projection(p + "ffn_down.weight", out: d, in: f)))
        }
        if file.tensorInfo(named: "output.weight") != nil {
            throw DecoderModelError(
                "\(file.name) has a separate output.weight; only a head tied to token_embd is implemented")
        }
        try self.init(
            configuration: c, embedding: projection("token_embd.weight", out: c.vocabularySize, in: d), layers: layers,
            finalNorm: RMSNorm(weight: tensor("output_norm.weight", [d]), eps: c.rmsNormEpsilon))
    }
}
