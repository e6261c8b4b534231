/// Multi-head attention with PyTorch `nn.MultiheadAttention`'s parameters and state_dict
/// names, batch-first, generalised to per-head key and value widths that may differ.
///
///     head_h = softmax((x_q·W_Qhᵀ + b_Qh)(x_k·W_Khᵀ + b_Kh)ᵀ / √dk + mask) · (x_v·W_Vhᵀ + b_Vh)
///     output = concat(head_1 … head_H) · W_Oᵀ + b_O
///
/// Shapes: query `[B, Lq, E]`, key `[B, Lk, kdim]`, value `[B, Lk, vdim]` → output `[B, Lq, E]`;
/// `qWeight [H·dk, E]`, `kWeight [H·dk, kdim]`, `vWeight [H·dv, vdim]`, `outWeight [E, H·dv]`.
/// PyTorch fixes dk = dv = E/H; here `headDimK ≠ headDimV` works too (the per-head widths of Q·Kᵀ and of V are independent).
///
/// Projecting once and splitting the result into heads (`view [B, L, H, d]`,
/// `transposed(1, 2)`) is the same as H separate per-head projections: row block h of W_Q
/// (rows h·dk ..< (h+1)·dk) is head h's projection, so `(x·W_Qᵀ)[…, h·dk + j] = x·(W_Q,h)ᵀ[…, j]`
/// (proven in the tests). For self-attention (query, key and value the same tensor) Q, K and V come from
/// ONE fused GEMM against the stacked `[2·H·dk + H·dv, E]` weight.
public struct MultiHeadAttention<Scalar: TensorScalar>: Sendable {
    /// The model width E: the last dimension of `query` and of the output `[B, Lq, E]`.
    public let embedDim: Int
    /// The number of heads H; each head attends over its own dk-wide slice of the projections.
    public let numHeads: Int
    /// Per-head width of queries and keys (dk) and of values (dv).
    public let headDimK: Int, headDimV: Int
    /// Input widths of key and value (kdim, vdim; both E for self-attention).
    public let keyDim: Int, valueDim: Int

    /// The input projections `qWeight [H·dk, E]`, `kWeight [H·dk, kdim]`, `vWeight [H·dv, vdim]`:
    /// `Q = query · qWeightᵀ + qBias` (PyTorch's `in_proj_weight` rows, or `q_proj_weight` …).
    public private(set) var qWeight: Tensor<Scalar>, kWeight: Tensor<Scalar>, vWeight: Tensor<Scalar>
    /// The input-projection biases `[H·dk]`, `[H·dk]`, `[H·dv]`; nil for a layer built with `bias: false`.
    public private(set) var qBias: Tensor<Scalar>?, kBias: Tensor<Scalar>?, vBias: Tensor<Scalar>?
    /// The output projection `W_O [E, H·dv]`: `output = concat(heads) · outWeightᵀ + outBias`
    /// (PyTorch's `out_proj.weight`).
    public private(set) var outWeight: Tensor<Scalar>
    /// The output-projection bias `[E]` (`out_proj.bias`); nil without bias.
    public private(set) var outBias: Tensor<Scalar>?
    /// `[qWeight; kWeight; vWeight]` stacked (and biases), for the fused self-attention GEMM;
    /// nil when kdim or vdim differ from E.
    private(set) var fusedWeight: Tensor<Scalar>?, fusedBias: Tensor<Scalar>?

    /// Which attention weights ``callAsFunction(query:key:value:mask:weights:)`` returns.
    public enum WeightsOutput: Sendable {
        /// No weights: the result's `weights` is nil (the fused kernel may run).
        case none
        /// `[B, Lq, Lk]`, averaged over heads (PyTorch's default `average_attn_weights=True`).
        case averaged
        /// `[B, H, Lq, Lk]`.
        case perHead
    }

    /// A layer with PyTorch's default initialisation, drawn from `generator`: Xavier-uniform
    /// projection weights (over the stacked `[3E, E]` in_proj_weight when kdim = vdim = E, as
    /// PyTorch does), zero in-projection and output biases, and an output weight uniform in
    /// ±1/√(H·dv).
    ///
    /// - Throws: ``TensorError`` when `embedDim` is not divisible by `numHeads` and no head
    ///   widths are given, e.g. `embedDim 256 is not divisible by numHeads 3`.
    public init(
        embedDim: Int, numHeads: Int, keyDim: Int? = nil, valueDim: Int? = nil,
        headDimK: Int? = nil, headDimV: Int? = nil, bias: Bool = true, using generator: inout SeededGenerator
    ) throws {
        let op = "MultiHeadAttention"
        guard embedDim > 0, numHeads > 0 else {
            throw TensorError(op: op, "embedDim (\(embedDim)) and numHeads (\(numHeads)) must be positive")
        }
        if headDimK == nil || headDimV == nil {
            guard embedDim % numHeads == 0 else {
                throw TensorError(
                    op: op,
                    "embedDim \(embedDim) is not divisible by numHeads \(numHeads): each head gets embedDim / numHeads features, "
                        + "so choose numHeads among the divisors of \(embedDim) (or give headDimK and headDimV explicitly)"
                )
            }
        }
        let dk = headDimK ?? embedDim / numHeads
        let dv = headDimV ?? embedDim / numHeads
        let kdim = keyDim ?? embedDim
        let vdim = valueDim ?? embedDim
        func xavier(_ shape: [Int]) -> Tensor<Scalar> {
            let bound = Scalar((6 / Double(shape[0] + shape[1])).squareRoot())
            return .uniform(shape, low: -bound, high: bound, using: &generator)
        }
        let q: Tensor<Scalar>
        let k: Tensor<Scalar>
        let v: Tensor<Scalar>
        if kdim == embedDim, vdim == embedDim, dk == dv {
            // PyTorch draws one Xavier matrix over the stacked [3E, E] in_proj_weight.
            let stacked = xavier([3 * numHeads * dk, embedDim])
            q = try stacked.narrowed(0, start: 0, length: numHeads * dk).contiguous()
            k = try stacked.narrowed(0, start: numHeads * dk, length: numHeads * dk).contiguous()
            v = try stacked.narrowed(0, start: 2 * numHeads * dk, length: numHeads * dv).contiguous()
        } else {
            q = xavier([numHeads * dk, embedDim])
            k = xavier([numHeads * dk, kdim])
            v = xavier([numHeads * dv, vdim])
        }
        let outBound = Scalar(1 / Double(numHeads * dv).squareRoot())
        try self.init(
            numHeads: numHeads, qWeight: q, kWeight: k, vWeight: v,
            qBias: bias ? .zeros([numHeads * dk]) : nil, kBias: bias ? .zeros([numHeads * dk]) : nil,
            vBias: bias ? .zeros([numHeads * dv]) : nil,
            outWeight: .uniform([embedDim, numHeads * dv], low: -outBound, high: outBound, using: &generator),
            outBias: bias ? .zeros([embedDim]) : nil)
    }

    /// A layer from explicit parameters (PyTorch layout `[out, in]`).
    /// - Throws: ``TensorError`` naming the parameter whose shape is inconsistent.
    public init(
        numHeads: Int, qWeight: Tensor<Scalar>, kWeight: Tensor<Scalar>, vWeight: Tensor<Scalar>,
        qBias: Tensor<Scalar>?, kBias: Tensor<Scalar>?, vBias: Tensor<Scalar>?,
        outWeight: Tensor<Scalar>, outBias: Tensor<Scalar>?
    ) throws {
        let op = "MultiHeadAttention"
        for (name, w) in [("q", qWeight), ("k", kWeight), ("v", vWeight), ("out", outWeight)] where w.rank != 2 {
            throw TensorError(op: op, "\(name) weight must be 2-D [out, in], got \(describe(w.shape))")
        }
        guard numHeads > 0, qWeight.shape[0] % numHeads == 0, vWeight.shape[0] % numHeads == 0 else {
            throw TensorError(
                op: op,
                "projection widths \(qWeight.shape[0]) (q) and \(vWeight.shape[0]) (v) must be divisible by numHeads \(numHeads)"
            )
        }
        let embedDim = qWeight.shape[1]
        guard kWeight.shape[0] == qWeight.shape[0] else {
            throw TensorError(
                op: op,
                "q weight \(describe(qWeight.shape)) and k weight \(describe(kWeight.shape)) must project to the same width H·dk"
            )
        }
        guard outWeight.shape == [embedDim, vWeight.shape[0]] else {
            throw TensorError(
                op: op,
                "out weight must be [E, H·dv] = [\(embedDim), \(vWeight.shape[0])], got \(describe(outWeight.shape))")
        }
        for (name, b, width) in [
            ("q", qBias, qWeight.shape[0]), ("k", kBias, kWeight.shape[0]), ("v", vBias, vWeight.shape[0]),
            ("out", outBias, embedDim),
        ] {
            if let b, b.shape != [width] {
                throw TensorError(op: op, "\(name) bias must be [\(width)], got \(describe(b.shape))")
            }
        }
        // A bias given for some of q, k, v but not all: the missing ones are zero, so the fused
        // and separate paths (and the exported in_proj_bias) all see the same parameters.
        var (qBias, kBias, vBias) = (qBias, kBias, vBias)
        if qBias != nil || kBias != nil || vBias != nil {
            qBias = qBias ?? .zeros([qWeight.shape[0]])
            kBias = kBias ?? .zeros([kWeight.shape[0]])
            vBias = vBias ?? .zeros([vWeight.shape[0]])
        }
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.headDimK = qWeight.shape[0] / numHeads
        self.headDimV = vWeight.shape[0] / numHeads
        self.keyDim = kWeight.shape[1]
        self.valueDim = vWeight.shape[1]
        (self.qWeight, self.kWeight, self.vWeight) = (qWeight, kWeight, vWeight)
        (self.qBias, self.kBias, self.vBias) = (qBias, kBias, vBias)
        (self.outWeight, self.outBias) = (outWeight, outBias)
        if keyDim == embedDim, valueDim == embedDim {
            fusedWeight = try Tensor.concatenated([qWeight, kWeight, vWeight], dim: 0)  // [2·H·dk + H·dv, E]
            if let qBias, let kBias, let vBias { fusedBias = try Tensor.concatenated([qBias, kBias, vBias], dim: 0) }
        }
    }

    /// Attention of `query` over `key`/`value`.
    ///
    /// - Parameters:
    ///   - query: `[B, Lq, E]`.
    ///   - key: `[B, Lk, kdim]`.
    ///   - value: `[B, Lk, vdim]`.
    ///   - mask: applies to the scores `[B, H, Lq, Lk]`; `.keyPadding` takes `[B, Lk]` with
    ///     true = ignore (nn.MultiheadAttention's key_padding_mask); `.mayAttend` takes true = may
    ///     attend (note: nn.MultiheadAttention's boolean attn_mask means the opposite — convert
    ///     with care). Fully masked query rows give zeros, not NaN.
    ///   - weightsOutput: (the `weights:` argument) whether to also return the attention weights,
    ///     averaged over heads `[B, Lq, Lk]` or per head `[B, H, Lq, Lk]`.
    /// - Throws: ``TensorError`` naming the expected and actual shapes when an input's width does
    ///   not match the layer, batch sizes differ, or key and value lengths differ.
    public func callAsFunction(
        query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
        mask: AttentionMask<Scalar> = .none, weights weightsOutput: WeightsOutput = .none
    ) throws -> AttentionResult<Scalar> {
        try checkInputs(query: query, key: key, value: value)
        let (b, lq, lk) = (query.shape[0], query.shape[1], key.shape[1])
        let (h, dk, dv) = (numHeads, headDimK, headDimV)
        let q: Tensor<Scalar>
        let k: Tensor<Scalar>
        let v: Tensor<Scalar>  // [B, L, H·d] each
        if let fusedWeight, query.sharesStorage(with: key), query.sharesStorage(with: value),
            query.layout == key.layout, query.layout == value.layout, query.offset == key.offset,
            query.offset == value.offset
        {
            let qkv = try linear(query, weight: fusedWeight, bias: fusedBias)  // [B, L, 2·H·dk + H·dv], one GEMM
            q = try qkv.narrowed(-1, start: 0, length: h * dk)  // views into qkv
            k = try qkv.narrowed(-1, start: h * dk, length: h * dk)
            v = try qkv.narrowed(-1, start: 2 * h * dk, length: h * dv)
        } else {
            q = try linear(query, weight: qWeight, bias: qBias)  // [B, Lq, H·dk]
            k = try linear(key, weight: kWeight, bias: kBias)  // [B, Lk, H·dk]
            v = try linear(value, weight: vWeight, bias: vBias)  // [B, Lk, H·dv]
        }
        let qh = try q.view([b, lq, h, dk]).transposed(1, 2)  // [B, H, Lq, dk]
        let kh = try k.view([b, lk, h, dk]).transposed(1, 2)  // [B, H, Lk, dk]
        let vh = try v.view([b, lk, h, dv]).transposed(1, 2)  // [B, H, Lk, dv]
        let attention = try scaledDotProductAttention(
            queries: qh, keys: kh, values: vh, mask: mask, returnWeights: weightsOutput != .none)
        let merged = try attention.output.transposed(1, 2).reshaped([b, lq, h * dv])  // [B, Lq, H·dv]
        let output = try linear(merged, weight: outWeight, bias: outBias)  // [B, Lq, E]
        let weights: Tensor<Scalar>?
        switch weightsOutput {
        case .none: weights = nil
        case .perHead: weights = attention.weights  // [B, H, Lq, Lk]
        case .averaged: weights = try attention.weights!.mean(dim: 1)  // [B, Lq, Lk]
        }
        return AttentionResult(output: output, weights: weights)
    }

    private func checkInputs(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>) throws {
        let op = "MultiHeadAttention"
        for (name, x, width) in [("query", query, embedDim), ("key", key, keyDim), ("value", value, valueDim)] {
            guard x.rank == 3, x.shape[2] == width else {
                var message =
                    "\(name) has shape \(describe(x.shape)) but this layer expects [B, L, \(width)] (batch-first, "
                    + "\(name == "query" ? "embedDim" : name == "key" ? "kdim" : "vdim") = \(width))"
                if x.rank == 3, x.shape[2] > width, x.shape[2] % width == 0 {
                    message +=
                        ". Its width \(x.shape[2]) = \(x.shape[2] / width) × \(width): were heads concatenated at full width?"
                }
                throw TensorError(op: op, message)
            }
        }
        guard query.shape[0] == key.shape[0], key.shape[0] == value.shape[0] else {
            throw TensorError(
                op: op,
                "batch sizes differ: query \(describe(query.shape)), key \(describe(key.shape)), value \(describe(value.shape))"
            )
        }
        guard key.shape[1] == value.shape[1] else {
            throw TensorError(
                op: op, "key \(describe(key.shape)) and value \(describe(value.shape)) must have the same length Lk")
        }
    }
}

// MARK: - PyTorch state_dict

extension MultiHeadAttention {
    /// The parameters under nn.MultiheadAttention's state_dict names: `in_proj_weight [3E, E]`
    /// and `in_proj_bias` when kdim = vdim = E and dk = dv, otherwise `q_proj_weight`,
    /// `k_proj_weight`, `v_proj_weight` (+ `in_proj_bias` stacked); always `out_proj.weight` and
    /// `out_proj.bias` (when biased).
    public func stateDict(prefix: String = "") -> [String: Tensor<Scalar>] {
        var dict: [String: Tensor<Scalar>] = [:]
        if let fusedWeight, headDimK == headDimV {
            dict[prefix + "in_proj_weight"] = fusedWeight
        } else {
            dict[prefix + "q_proj_weight"] = qWeight
            dict[prefix + "k_proj_weight"] = kWeight
            dict[prefix + "v_proj_weight"] = vWeight
        }
        if let qBias, let kBias, let vBias {
            // shapes checked at init
            dict[prefix + "in_proj_bias"] = try! Tensor.concatenated([qBias, kBias, vBias], dim: 0)
        }
        dict[prefix + "out_proj.weight"] = outWeight
        if let outBias { dict[prefix + "out_proj.bias"] = outBias }
        return dict
    }

    /// A layer from nn.MultiheadAttention state_dict entries (see ``stateDict(prefix:)``).
    ///
    /// Every parameter must be present — `in_proj_bias` and `out_proj.bias` too unless `bias` is
    /// false — and every entry under `prefix` must be one of these names, so a renamed or
    /// missing tensor is an error rather than a silently absent parameter.
    /// - Throws: ``TensorError`` naming a missing or unexpected entry, or a shape that does not fit.
    public init(stateDict dict: [String: Tensor<Scalar>], numHeads: Int, prefix: String = "", bias: Bool = true) throws
    {
        let op = "MultiHeadAttention"
        let known = [
            "in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight",
            "out_proj.bias",
        ]
        func entry(_ name: String) throws -> Tensor<Scalar> {
            guard let t = dict[prefix + name] else {
                throw TensorError(
                    op: op, "state_dict has no '\(prefix + name)' (has: \(dict.keys.sorted().joined(separator: ", ")))")
            }
            return t
        }
        let q: Tensor<Scalar>
        let k: Tensor<Scalar>
        let v: Tensor<Scalar>
        if let stacked = dict[prefix + "in_proj_weight"] {
            guard stacked.rank == 2, stacked.shape[0] % 3 == 0 else {
                throw TensorError(op: op, "in_proj_weight must be [3E, E], got \(describe(stacked.shape))")
            }
            let e = stacked.shape[0] / 3
            q = try stacked.narrowed(0, start: 0, length: e).contiguous()
            k = try stacked.narrowed(0, start: e, length: e).contiguous()
            v = try stacked.narrowed(0, start: 2 * e, length: e).contiguous()
        } else {
            (q, k, v) = (try entry("q_proj_weight"), try entry("k_proj_weight"), try entry("v_proj_weight"))
        }
        var biases: (Tensor<Scalar>?, Tensor<Scalar>?, Tensor<Scalar>?) = (nil, nil, nil)
        if bias {
            let stacked = try entry("in_proj_bias")
            let (wq, wk, wv) = (q.shape[0], k.shape[0], v.shape[0])
            guard stacked.shape == [wq + wk + wv] else {
                throw TensorError(op: op, "in_proj_bias must be [\(wq + wk + wv)], got \(describe(stacked.shape))")
            }
            biases = (
                try stacked.narrowed(0, start: 0, length: wq).contiguous(),
                try stacked.narrowed(0, start: wq, length: wk).contiguous(),
                try stacked.narrowed(0, start: wq + wk, length: wv).contiguous()
            )
        }
        try self.init(
            numHeads: numHeads, qWeight: q, kWeight: k, vWeight: v, qBias: biases.0, kBias: biases.1, vBias: biases.2,
            outWeight: try entry("out_proj.weight"), outBias: bias ? try entry("out_proj.bias") : nil)
        // Checked last, so a file that lacks required entries is reported as such first.
        let unexpected = dict.keys.filter {
            $0.hasPrefix(prefix) && !known.contains(String($0.dropFirst(prefix.count)))
        }.sorted()
        guard unexpected.isEmpty else {
            throw TensorError(
                op: op,
                "state_dict has entries this layer does not use: \(unexpected.joined(separator: ", ")) (expected \(known.map { prefix + $0 }.joined(separator: ", ")))"
            )
        }
    }
}
