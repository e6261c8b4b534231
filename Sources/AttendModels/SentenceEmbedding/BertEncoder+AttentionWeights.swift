import Attend

extension BertEncoder {
    /// The attention weights of one layer for one token sequence, every head:
    ///
    ///     x = layers[0 ..< layer](x₀(ids))                        // [1, L, E], the layer's input
    ///     Q, K = x·Wqᵀ + bq, x·Wkᵀ + bk  → heads                  // [1, H, L, d], d = E / H
    ///     w[h, i, j] = softmax_j(Q[h, i]·K[h, j] / √d)            // [H, L, L], rows sum to 1
    ///
    /// computed by the layer's own `MultiHeadAttention` (Attend's
    /// `scaledDotProductAttention(queries:keys:values:mask:scale:returnWeights:algorithm:)` with
    /// the weights returned), exactly as the encoder runs it — post-norm, so the attention's input
    /// is the previous layer's output. Row `i` says how much token `i` draws from each token `j`.
    ///
    /// - Parameters:
    ///   - ids: one sequence, `[CLS] … [SEP]`, 1…`maxPositions` ids (``BertTokenizer/encode(_:)``).
    ///   - layer: 0 ..< `configuration.layerCount`.
    /// - Returns: `[H, L, L]`.
    /// - Throws: `TensorError` for a layer out of range, and as ``callAsFunction(_:)``.
    public func attentionWeights(_ ids: [Int], layer: Int) throws -> Tensor<Float> {
        guard layers.indices.contains(layer) else {
            throw TensorError(
                op: "BertEncoder.attentionWeights",
                "layer \(layer) does not exist: this encoder has layers 0 ..< \(layers.count)")
        }
        var (x, mask) = try embedded([ids])  // [1, L, E]; no padding for one sequence
        for below in layers[..<layer] {
            x = try below(x, mask: mask)  // [1, L, E]
        }
        let attention = try layers[layer].selfAttention(query: x, key: x, value: x, mask: mask, weights: .perHead)
        let (h, l) = (configuration.headCount, ids.count)
        return try attention.weights!.view([h, l, l])  // [1, H, L, L] → [H, L, L]
    }
}
