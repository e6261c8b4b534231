import Attend

/// Random inputs for the cases.
public enum RandomInputs {
    /// `scale · z + offset` with z ~ N(0, 1) elementwise, `[shape]`, drawn from `g` (an offset makes
    /// cancellation-prone inputs, as for the distance cases).
    public static func randn(_ shape: [Int], _ g: inout SeededGenerator, scale: Float = 1, offset: Float = 0) -> Tensor<
        Float
    > {
        let x = Tensor<Float>.randn(shape, using: &g)
        return scale == 1 && offset == 0 ? x : x * scale + offset
    }

    /// A bool mask with about `keep` of its entries true.
    public static func boolMask(_ shape: [Int], _ g: inout SeededGenerator, keep: Double) -> BoolTensor {
        // count matches
        try! BoolTensor(shape: shape, elements: (0..<shape.reduce(1, *)).map { _ in g.nextUnit() < keep })
    }

    /// A multi-head attention layer with PyTorch's initialisation and random (non-zero) biases,
    /// so the bias paths are exercised.
    /// - Throws: `TensorError` when the sizes are inconsistent (E not divisible by the heads).
    public static func mhaLayer(
        embed: Int, heads: Int, keyDim: Int? = nil, valueDim: Int? = nil, _ g: inout SeededGenerator
    ) throws -> MultiHeadAttention<Float> {
        let base = try MultiHeadAttention<Float>(
            embedDim: embed, numHeads: heads, keyDim: keyDim, valueDim: valueDim, using: &g)
        return try MultiHeadAttention(
            numHeads: heads, qWeight: base.qWeight, kWeight: base.kWeight, vWeight: base.vWeight,
            qBias: randn([base.qWeight.shape[0]], &g, scale: 0.1),
            kBias: randn([base.kWeight.shape[0]], &g, scale: 0.1),
            vBias: randn([base.vWeight.shape[0]], &g, scale: 0.1), outWeight: base.outWeight,
            outBias: randn([embed], &g, scale: 0.1))
    }

    /// An encoder layer with PyTorch's initialisation, random attention biases and random
    /// LayerNorm parameters.
    /// - Throws: `TensorError` when the sizes are inconsistent (E not divisible by the heads).
    public static func encoderLayer(
        embed: Int, heads: Int, feedForward: Int, activation: Activation, normFirst: Bool, _ g: inout SeededGenerator
    ) throws -> TransformerEncoderLayer<Float> {
        let base = try TransformerEncoderLayer<Float>(
            embedDim: embed, numHeads: heads, feedForwardDim: feedForward, activation: activation, normFirst: normFirst,
            using: &g)
        func norm(_ g: inout SeededGenerator) throws -> LayerNorm<Float> {
            try LayerNorm(
                normalizedShape: [embed], weight: randn([embed], &g, scale: 0.1, offset: 1),
                bias: randn([embed], &g, scale: 0.1))
        }
        return TransformerEncoderLayer(
            selfAttention: try mhaLayer(embed: embed, heads: heads, &g), feedForward: base.feedForward,
            norm1: try norm(&g), norm2: try norm(&g), normFirst: normFirst)
    }
}
