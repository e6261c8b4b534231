/// The parameters of one transformer encoder layer (nn.TransformerEncoderLayer's layout):
/// self-attention, linear1 [F, E] / [F], linear2 [E, F] / [E], norm1 and norm2 [E].
public struct ReferenceTransformerEncoderLayerWeights<Scalar: ReferenceScalar>: Sendable {
    /// The self-attention block (query = key = value = its input).
    public var attention: ReferenceMultiHeadAttentionWeights<Scalar>
    /// First feed-forward projection [F, E].
    public var linear1Weight: ReferenceArray<Scalar>
    /// First feed-forward bias [F] or nil.
    public var linear1Bias: ReferenceArray<Scalar>?
    /// Second feed-forward projection [E, F].
    public var linear2Weight: ReferenceArray<Scalar>
    /// Second feed-forward bias [E] or nil.
    public var linear2Bias: ReferenceArray<Scalar>?
    /// Scale of norm1 [E] or nil (ones).
    public var norm1Weight: ReferenceArray<Scalar>?
    /// Shift of norm1 [E] or nil (zeros).
    public var norm1Bias: ReferenceArray<Scalar>?
    /// Scale of norm2 [E] or nil (ones).
    public var norm2Weight: ReferenceArray<Scalar>?
    /// Shift of norm2 [E] or nil (zeros).
    public var norm2Bias: ReferenceArray<Scalar>?

    /// Stores the parameters as given; shapes are checked when the layer is applied.
    public init(
        attention: ReferenceMultiHeadAttentionWeights<Scalar>,
        linear1Weight: ReferenceArray<Scalar>, linear1Bias: ReferenceArray<Scalar>?,
        linear2Weight: ReferenceArray<Scalar>, linear2Bias: ReferenceArray<Scalar>?,
        norm1Weight: ReferenceArray<Scalar>?, norm1Bias: ReferenceArray<Scalar>?,
        norm2Weight: ReferenceArray<Scalar>?, norm2Bias: ReferenceArray<Scalar>?
    ) {
        self.attention = attention
        self.linear1Weight = linear1Weight
        self.linear1Bias = linear1Bias
        self.linear2Weight = linear2Weight
        self.linear2Bias = linear2Bias
        self.norm1Weight = norm1Weight
        self.norm1Bias = norm1Bias
        self.norm2Weight = norm2Weight
        self.norm2Bias = norm2Bias
    }
}

extension Reference {
    /// One transformer encoder layer, exactly nn.TransformerEncoderLayer in eval mode with
    /// batch_first = true (no dropout):
    ///
    /// - post-norm (`normFirst == false`): `x = norm1(x + SA(x))`, then `x = norm2(x + FF(x))`;
    /// - pre-norm (`normFirst == true`): `x = x + SA(norm1(x))`, then `x = x + FF(norm2(x))`;
    ///
    /// where SA is ``multiHeadAttention(query:key:value:weights:mask:averageWeights:)`` of x with
    /// itself under `mask`, FF is ``feedForward(_:w1:b1:w2:b2:activation:)`` and the norms are
    /// ``layerNorm(_:normalizedDims:weight:bias:eps:)`` over the last dim with `eps`.
    ///
    /// Shapes: x [B, L, E] → [B, L, E].
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when `x [B, L, E]` and the weights do not fit (as in the
    ///   attention, the
    ///   feed-forward and the LayerNorms), or the mask does not broadcast to the scores.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func transformerEncoderLayer<Scalar>(
        _ x: ReferenceArray<Scalar>, weights: ReferenceTransformerEncoderLayerWeights<Scalar>,
        activation: ReferenceActivation = .relu, normFirst: Bool = false, eps: Scalar = 1e-5,
        mask: ReferenceMask<Scalar> = .none
    ) throws -> ReferenceArray<Scalar> {
        func selfAttention(_ input: ReferenceArray<Scalar>) throws -> ReferenceArray<Scalar> {
            try multiHeadAttention(query: input, key: input, value: input, weights: weights.attention, mask: mask)
                .output
        }
        func feedForwardBlock(_ input: ReferenceArray<Scalar>) throws -> ReferenceArray<Scalar> {
            try feedForward(
                input, w1: weights.linear1Weight, b1: weights.linear1Bias, w2: weights.linear2Weight,
                b2: weights.linear2Bias,
                activation: activation)
        }
        func norm1(_ input: ReferenceArray<Scalar>) throws -> ReferenceArray<Scalar> {
            try layerNorm(input, normalizedDims: 1, weight: weights.norm1Weight, bias: weights.norm1Bias, eps: eps)
        }
        func norm2(_ input: ReferenceArray<Scalar>) throws -> ReferenceArray<Scalar> {
            try layerNorm(input, normalizedDims: 1, weight: weights.norm2Weight, bias: weights.norm2Bias, eps: eps)
        }

        var h = x
        if normFirst {
            h = try add(h, selfAttention(try norm1(h)))
            h = try add(h, feedForwardBlock(try norm2(h)))
        } else {
            h = try norm1(try add(h, selfAttention(h)))
            h = try norm2(try add(h, feedForwardBlock(h)))
        }
        return h
    }

    /// ``transformerEncoderLayer(_:weights:activation:normFirst:eps:mask:)`` with every parameter
    /// passed separately.
    /// - Throws: ``ReferenceError/shapeMismatch(op:message:)`` when `x [B, L, E]` and the weights do not fit (as in the
    ///   attention, the
    ///   feed-forward and the LayerNorms), or the mask does not broadcast to the scores.
    public static func transformerEncoderLayer<Scalar>(
        _ x: ReferenceArray<Scalar>, attention: ReferenceMultiHeadAttentionWeights<Scalar>,
        linear1W: ReferenceArray<Scalar>, linear1B: ReferenceArray<Scalar>?,
        linear2W: ReferenceArray<Scalar>, linear2B: ReferenceArray<Scalar>?,
        norm1W: ReferenceArray<Scalar>?, norm1B: ReferenceArray<Scalar>?,
        norm2W: ReferenceArray<Scalar>?, norm2B: ReferenceArray<Scalar>?,
        activation: ReferenceActivation = .relu, normFirst: Bool = false, eps: Scalar = 1e-5,
        mask: ReferenceMask<Scalar> = .none
    ) throws -> ReferenceArray<Scalar> {
        let weights = ReferenceTransformerEncoderLayerWeights(
            attention: attention, linear1Weight: linear1W, linear1Bias: linear1B, linear2Weight: linear2W,
            linear2Bias: linear2B,
            norm1Weight: norm1W, norm1Bias: norm1B, norm2Weight: norm2W, norm2Bias: norm2B)
        return try transformerEncoderLayer(
            x, weights: weights, activation: activation, normFirst: normFirst, eps: eps, mask: mask)
    }
}
