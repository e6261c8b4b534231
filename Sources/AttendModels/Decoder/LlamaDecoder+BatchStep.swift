import Attend

extension LlamaDecoder {
    /// One decode step for B independent sequences at once (continuous batching): sequence b
    /// runs `ids[b]` after the history in its own per-layer caches `caches[b]`, at its own
    /// position (the histories' lengths may differ), and the step returns B logit rows
    /// `[vocabulary]`. Every weight is read once per step for all B sequences:
    ///
    ///     x = embed[ids]                                                  // [B, d]
    ///     for each layer:
    ///         h = RMSNorm(x)                                              // [B, d], row by row
    ///         q, k, v = rows of h·Wqᵀ, h·Wkᵀ, h·Wvᵀ                       // [B, H·Dh], [B, Hkv·Dh]
    ///         for each sequence b:                                        // its own position pᵦ
    ///             q, k = RoPE(q[b], pᵦ), RoPE(k[b], pᵦ)                    // [1, H, 1, Dh], [1, Hkv, 1, Dh]
    ///             caches[b].append(k, v[b])
    ///             a[b] = GQA(q, caches[b].keys, caches[b].values)          // [1, H, 1, Dh] → [d]
    ///         x = x + rows of a·Woᵀ
    ///         x = x + rows of down(silu(h₂·Wgᵀ) ⊙ h₂·Wuᵀ), h₂ = RMSNorm(x)
    ///     logits = rows of RMSNorm(x)·Wₒᵀ                                 // [B, vocabulary]
    ///
    /// The products run on ``Projection/apply(_:toEachRowOf:)``; the norms, the activation and
    /// the residual sums work on each row alone. So `result[b]` equals, bit for bit, the
    /// `forward([ids[b]], cache: &caches[b])` of that sequence decoded by itself — whatever the
    /// other sequences are and however many.
    ///
    /// No ids gives no rows. Everything is checked before any cache changes; on return each
    /// `caches[b]` holds one more position. The caches are values: one whose buffers another
    /// copy still shares is copied on its first append, so move caches into the array (not
    /// copy) to append in place.
    /// - Throws: ``DecoderModelError`` naming the sequence when `ids` and `caches` differ in
    ///   count, an id is outside the vocabulary, or a sequence's caches are not one
    ///   `[1, Hkv, capacity, Dh]` cache per layer, all of the same length, with room for one
    ///   more position.
    public func step(_ ids: [Int], caches: inout [[KVCache<Float>]]) throws -> [[Float]] {
        let c = configuration
        let op = "LlamaDecoder.step"
        guard ids.count == caches.count else {
            throw DecoderModelError(
                "\(op): \(ids.count) token ids given for \(caches.count) sequences' caches; each sequence needs one of each"
            )
        }
        for (b, id) in ids.enumerated() where !(0..<c.vocabularySize).contains(id) {
            throw DecoderModelError(
                "\(op): sequence \(b): token id \(id) is outside the vocabulary 0..<\(c.vocabularySize)")
        }
        let positions = try caches.enumerated().map { b, cache in try stepPosition(of: cache, sequence: b) }
        let count = ids.count  // B
        guard count > 0 else { return [] }
        let d = c.modelDimension
        let dh = c.headDimension
        var x = try embedding.rows(ids)  // [B, d]
        for (index, layer) in layers.enumerated() {
            let h = try layer.attentionNorm(x)  // [B, d]
            let qkv = try Projection.apply([layer.query, layer.key, layer.value], toEachRowOf: h)
            var merged = [Float](repeating: 0, count: count * d)  // [B, d]
            for b in 0..<count {
                func heads(_ t: Tensor<Float>, _ n: Int) throws -> Tensor<Float> {
                    try t.narrowed(0, start: b, length: 1).view([1, 1, n, dh]).permuted(0, 2, 1, 3)  // [1, n, 1, Dh]
                }
                // [1, H, 1, Dh] and [1, Hkv, 1, Dh], at the sequence's own position.
                let qr = try rotary(heads(qkv[0], c.headCount), positionOffset: positions[b])
                let kr = try rotary(heads(qkv[1], c.keyValueHeadCount), positionOffset: positions[b])
                try caches[b][index].append(keys: kr, values: heads(qkv[2], c.keyValueHeadCount))
                let a = try groupedQueryAttention(
                    queries: qr, keys: caches[b][index].keys, values: caches[b][index].values, mask: .causalFromEnd)
                let row = try a.permuted(0, 2, 1, 3).reshaped([d]).scalars  // [d]
                merged.replaceSubrange((b * d)..<((b + 1) * d), with: row)
            }
            let attention = try Projection.apply(
                [layer.output], toEachRowOf: Tensor(shape: [count, d], scalars: merged))
            x = try x + attention[0]  // [B, d]
            let h2 = try layer.feedForwardNorm(x)  // [B, d]
            let gateUp = try Projection.apply([layer.gate, layer.up], toEachRowOf: h2)  // [B, f] each
            x = try x + Projection.apply([layer.down], toEachRowOf: siluGated(gateUp[0], gateUp[1]))[0]
        }
        let logits = try Projection.apply([head], toEachRowOf: finalNorm(x))[0].scalars  // [B·vocabulary]
        let v = c.vocabularySize
        return (0..<count).map { b in Array(logits[(b * v)..<((b + 1) * v)]) }
    }

    /// The position a step of `sequence` writes: the length of its caches, after checking that
    /// they are one `[1, Hkv, capacity, Dh]` cache per layer, all that long, with room for one more.
    private func stepPosition(of cache: [KVCache<Float>], sequence b: Int) throws -> Int {
        let c = configuration
        let op = "LlamaDecoder.step"
        guard cache.count == c.layerCount, let past = cache.first?.length else {
            throw DecoderModelError(
                "\(op): sequence \(b): \(cache.count) layer caches given for \(c.layerCount) layers")
        }
        let expected = [1, c.keyValueHeadCount, past, c.headDimension]
        for (layer, entry) in cache.enumerated() {
            guard entry.keys.shape == expected, entry.values.shape == expected else {
                throw DecoderModelError(
                    "\(op): sequence \(b): layer \(layer) caches keys \(entry.keys.shape) and values \(entry.values.shape); expected \(expected) [1, Hkv, length, Dh], the length of layer 0's"
                )
            }
            guard past + 1 <= entry.capacity else {
                throw DecoderModelError(
                    "\(op): sequence \(b): \(past) cached + 1 new position exceed the cache capacity \(entry.capacity) of layer \(layer)"
                )
            }
        }
        return past
    }
}
