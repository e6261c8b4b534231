/// One transformer encoder layer, as PyTorch's `nn.TransformerEncoderLayer` in eval mode with
/// `batch_first=True`:
///
///     post-norm (default):  x = norm1(x + SA(x));  x = norm2(x + FF(x))
///     pre-norm (normFirst): x = x + SA(norm1(x));  x = x + FF(norm2(x))
///
/// with SA multi-head self-attention and FF = linear2(activation(linear1(x))). The residual
/// connections are the two additions. Parameters load from and export to the state_dict names
/// `self_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`. (Dropout is not applied: this
/// is the inference layer.)
public struct TransformerEncoderLayer<Scalar: TensorScalar>: Sendable {
    /// SA: the self-attention, `x [B, L, E]` → `[B, L, E]` (state_dict `self_attn.*`).
    public var selfAttention: MultiHeadAttention<Scalar>
    /// FF = linear2(activation(linear1(x))), `[B, L, E]` → `[B, L, E]` (`linear1.*`, `linear2.*`).
    public var feedForward: FeedForward<Scalar>
    /// The LayerNorms over E: `norm1` around the attention, `norm2` around the feed-forward
    /// (`norm1.*`, `norm2.*`).
    public var norm1: LayerNorm<Scalar>, norm2: LayerNorm<Scalar>
    /// Pre-norm (true: `x + SA(norm1(x))`) or post-norm (false, PyTorch's default: `norm1(x + SA(x))`);
    /// PyTorch's `norm_first`.
    public var normFirst: Bool

    /// A layer from given parts (no check: the parts' widths are checked when the layer runs, by
    /// the ops that use them).
    /// - SeeAlso: ``init(embedDim:numHeads:feedForwardDim:activation:normFirst:eps:using:)``
    public init(
        selfAttention: MultiHeadAttention<Scalar>, feedForward: FeedForward<Scalar>,
        norm1: LayerNorm<Scalar>, norm2: LayerNorm<Scalar>, normFirst: Bool
    ) {
        self.selfAttention = selfAttention
        self.feedForward = feedForward
        self.norm1 = norm1
        self.norm2 = norm2
        self.normFirst = normFirst
    }

    /// A freshly initialised layer (PyTorch's initialisations), drawn from `generator`.
    /// - Throws: ``TensorError`` when `embedDim` is not divisible by `numHeads` (or either is not positive).
    public init(
        embedDim: Int, numHeads: Int, feedForwardDim: Int = 2048, activation: Activation = .relu,
        normFirst: Bool = false, eps: Double = 1e-5, using generator: inout SeededGenerator
    ) throws {
        selfAttention = try MultiHeadAttention(embedDim: embedDim, numHeads: numHeads, using: &generator)
        feedForward = try FeedForward(
            linear1: Linear(inFeatures: embedDim, outFeatures: feedForwardDim, using: &generator),
            linear2: Linear(inFeatures: feedForwardDim, outFeatures: embedDim, using: &generator),
            activation: activation)
        norm1 = LayerNorm(normalizedShape: [embedDim], eps: eps)
        norm2 = LayerNorm(normalizedShape: [embedDim], eps: eps)
        self.normFirst = normFirst
    }

    /// `x [B, L, E]` → `[B, L, E]`; `mask` applies to the self-attention scores `[B, H, L, L]`.
    /// - Throws: ``TensorError`` when `x` is not `[B, L, E]` for this layer's E, or the mask does not fit the
    ///   scores `[B, H, L, L]`.
    public func callAsFunction(_ x: Tensor<Scalar>, mask: AttentionMask<Scalar> = .none) throws -> Tensor<Scalar> {
        func attend(_ y: Tensor<Scalar>) throws -> Tensor<Scalar> {
            try selfAttention(query: y, key: y, value: y, mask: mask).output
        }
        if normFirst {
            let h = try x + attend(norm1(x))  // [B, L, E]
            return try h + feedForward(norm2(h))
        }
        let h = try norm1(x + attend(x))  // [B, L, E]
        return try norm2(h + feedForward(h))
    }

    /// The parameters under nn.TransformerEncoderLayer's state_dict names.
    public func stateDict() -> [String: Tensor<Scalar>] {
        var dict = selfAttention.stateDict(prefix: "self_attn.")
        dict["linear1.weight"] = feedForward.linear1.weight
        dict["linear1.bias"] = feedForward.linear1.bias
        dict["linear2.weight"] = feedForward.linear2.weight
        dict["linear2.bias"] = feedForward.linear2.bias
        dict["norm1.weight"] = norm1.weight
        dict["norm1.bias"] = norm1.bias
        dict["norm2.weight"] = norm2.weight
        dict["norm2.bias"] = norm2.bias
        return dict
    }

    /// A layer from nn.TransformerEncoderLayer state_dict entries. Every parameter must be
    /// present (biases too unless `bias` is false) and every entry must be one of the layer's
    /// names.
    /// - Throws: ``TensorError`` naming a missing or unexpected entry or an inconsistent shape.
    public init(
        stateDict dict: [String: Tensor<Scalar>], numHeads: Int, activation: Activation = .relu,
        normFirst: Bool = false, eps: Double = 1e-5, bias: Bool = true
    ) throws {
        let op = "TransformerEncoderLayer"
        let own = [
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
            "norm2.weight", "norm2.bias",
        ]
        func entry(_ name: String) throws -> Tensor<Scalar> {
            guard let t = dict[name] else {
                throw TensorError(
                    op: op, "state_dict has no '\(name)' (has: \(dict.keys.sorted().joined(separator: ", ")))")
            }
            return t
        }
        selfAttention = try MultiHeadAttention(stateDict: dict, numHeads: numHeads, prefix: "self_attn.", bias: bias)
        feedForward = try FeedForward(
            linear1: Linear(weight: entry("linear1.weight"), bias: bias ? entry("linear1.bias") : nil),
            linear2: Linear(weight: entry("linear2.weight"), bias: bias ? entry("linear2.bias") : nil),
            activation: activation)
        let e = selfAttention.embedDim
        norm1 = try LayerNorm(normalizedShape: [e], eps: eps, weight: entry("norm1.weight"), bias: entry("norm1.bias"))
        norm2 = try LayerNorm(normalizedShape: [e], eps: eps, weight: entry("norm2.weight"), bias: entry("norm2.bias"))
        self.normFirst = normFirst
        // Checked last, so a file that lacks required entries is reported as such first.
        let unexpected = dict.keys.filter { !$0.hasPrefix("self_attn.") && !own.contains($0) }.sorted()
        guard unexpected.isEmpty else {
            throw TensorError(
                op: op, "state_dict has entries this layer does not use: \(unexpected.joined(separator: ", "))")
        }
    }
}
