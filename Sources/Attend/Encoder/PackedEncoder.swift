import _AttendKernels

/// Post-norm transformer encoder layers (BERT's) run as a fixed plan over packed variable-length
/// sequences (``PackedSequences``) in the buffers of an ``EncoderWorkspace``: no padding, no
/// allocation per op. Each layer, for the T tokens of the batch (E model width, F feed-forward
/// width, H heads of d = E/H):
///
///     qkv  = x·W_inᵀ + b_in                                    [T, 3E]   one GEMM from the bias
///     ctxₛ = softmax(Qₛ·Kₛᵀ/√d)·Vₛ  per sequence s and head   [T, E]    fused kernel, own length
///     x    = LayerNorm₁(x + ctx·W_oᵀ + b_o)                    [T, E]    GEMM, one row pass
///     h    = act(x·W₁ᵀ + b₁)                                    [T, F]    GEMM, one row pass
///     x    = LayerNorm₂(x + h·W₂ᵀ + b₂)                         [T, E]    GEMM, one row pass
///
/// the same function as ``TransformerEncoderLayer`` (post-norm) applied to each sequence alone,
/// evaluated in another order: the row passes (bias, ReLU or the erf GELU, residual + LayerNorm)
/// are the kernel family's, in Float (their bounds: `ErrorBounds.familyGELU`,
/// `ErrorBounds.familyLayerNorm`), and attention is the family's fused kernel. Every GEMM is split
/// over row slabs, every row pass and attention over rows and (sequence, head, query block), on
/// Attend's workers (``Parallelism``). A sequence's rows do not depend on the other sequences of
/// the batch beyond the GEMM's row partition.
public struct PackedEncoder: Sendable {
    /// One layer's parameters, contiguous, as the plan reads them.
    struct Layer: Sendable {
        let inWeight: Tensor<Float>  // [3E, E]
        let inBias: Tensor<Float>?  // [3E]
        let outWeight: Tensor<Float>  // [E, E]
        let outBias: Tensor<Float>?  // [E]
        let weight1: Tensor<Float>  // [F, E]
        let bias1: Tensor<Float>?  // [F]
        let weight2: Tensor<Float>  // [E, F]
        let bias2: Tensor<Float>?  // [E]
        let norm1: (gamma: Tensor<Float>?, beta: Tensor<Float>?, eps: Float)
        let norm2: (gamma: Tensor<Float>?, beta: Tensor<Float>?, eps: Float)
        let activation: attend_activation
    }

    let layers: [Layer]
    /// The model width E.
    public let width: Int
    /// The feed-forward width F.
    public let feedForwardWidth: Int
    /// The number of heads H.
    public let headCount: Int

    /// A plan for `layers`, applied in order.
    /// - Throws: ``TensorError`` naming the layer and the rule when a layer is not one this plan
    ///   runs: it must be post-norm (`normFirst` false), use ReLU or the erf GELU, have
    ///   self-attention with kdim = vdim = E and dk = dv, LayerNorms over `[E]`, and the same E and
    ///   F as the others. (The tanh GELU and pre-norm layers run layer by layer,
    ///   ``TransformerEncoderLayer/callAsFunction(_:mask:)``.)
    public init(_ layers: [TransformerEncoderLayer<Float>]) throws {
        let op = "PackedEncoder"
        guard let first = layers.first else { throw TensorError(op: op, "needs at least one layer") }
        let e = first.selfAttention.embedDim
        let f = first.feedForward.linear1.outFeatures
        let h = first.selfAttention.numHeads
        var planned: [Layer] = []
        for (index, layer) in layers.enumerated() {
            func refuse(_ rule: String) -> TensorError { TensorError(op: op, "layer \(index): \(rule)") }
            let attention = layer.selfAttention
            guard !layer.normFirst else { throw refuse("is pre-norm (normFirst); the plan runs post-norm layers") }
            let activation: attend_activation
            switch layer.feedForward.activation {
            case .relu: activation = ATTEND_ACTIVATION_RELU
            case .gelu: activation = ATTEND_ACTIVATION_GELU
            case .geluTanh: throw refuse("uses the tanh GELU; the plan runs ReLU and the erf GELU")
            }
            guard attention.embedDim == e, attention.numHeads == h, layer.feedForward.linear1.outFeatures == f,
                layer.feedForward.linear1.inFeatures == e, layer.feedForward.linear2.outFeatures == e
            else {
                throw refuse(
                    "has E \(attention.embedDim), H \(attention.numHeads), F \(layer.feedForward.linear1.outFeatures); "
                        + "layer 0 has E \(e), H \(h), F \(f)")
            }
            guard let inWeight = attention.fusedWeight, attention.headDimK == attention.headDimV,
                attention.headDimK * h == e, attention.outWeight.shape == [e, e]
            else {
                throw refuse("self-attention needs kdim = vdim = E and dk = dv = E/H")
            }
            guard layer.norm1.normalizedShape == [e], layer.norm2.normalizedShape == [e] else {
                throw refuse("LayerNorms must normalize over [E] = [\(e)]")
            }
            func norm(_ n: LayerNorm<Float>) -> (Tensor<Float>?, Tensor<Float>?, Float) {
                (n.weight?.contiguous(), n.bias?.contiguous(), Float(n.eps))
            }
            planned.append(
                Layer(
                    inWeight: inWeight.contiguous(), inBias: attention.fusedBias?.contiguous(),
                    outWeight: attention.outWeight.contiguous(), outBias: attention.outBias?.contiguous(),
                    weight1: layer.feedForward.linear1.weight.contiguous(),
                    bias1: layer.feedForward.linear1.bias?.contiguous(),
                    weight2: layer.feedForward.linear2.weight.contiguous(),
                    bias2: layer.feedForward.linear2.bias?.contiguous(),
                    norm1: norm(layer.norm1), norm2: norm(layer.norm2), activation: activation))
        }
        self.layers = planned
        width = e
        feedForwardWidth = f
        headCount = h
    }

    /// Runs every layer on the packed batch: `input` fills the hidden states `[T, E]` (row
    /// `offsets[s] + t` is token t of sequence s), `output` reads the final ones.
    /// - Parameters:
    ///   - sequences: the batch's lengths; T = `sequences.tokenCount`.
    ///   - workspace: the buffers to run in (grown if they hold fewer than T tokens).
    ///   - input: writes the first layer's input `[T, E]` into the buffer it is given.
    ///   - output: reads the last layer's output `[T, E]` (valid only during the call).
    /// - Returns: what `output` returns.
    public func encode<Result>(
        _ sequences: PackedSequences, in workspace: EncoderWorkspace,
        input: (UnsafeMutableBufferPointer<Float>) throws -> Void,
        output: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try workspace.exclusively {
            let (t, e, f) = (sequences.tokenCount, width, feedForwardWidth)
            workspace.reserve(tokens: t, width: e, feedForwardWidth: f)
            try input(UnsafeMutableBufferPointer(start: workspace.hidden, count: t * e))
            let kernels = KernelPath.active.kernels
            for layer in layers {
                run(layer, sequences, workspace, kernels)
            }
            return try output(UnsafeBufferPointer(start: workspace.hidden, count: t * e))
        }
    }

    /// `[T, E]` hidden states in, `[T, E]` out: ``encode(_:in:input:output:)`` with a workspace of
    /// its own.
    /// - Throws: ``TensorError`` when `x` is not `[T, E]` with T = `sequences.tokenCount`.
    public func callAsFunction(_ x: Tensor<Float>, sequences: PackedSequences) throws -> Tensor<Float> {
        guard x.shape == [sequences.tokenCount, width] else {
            throw TensorError(
                op: "PackedEncoder",
                "input \(describe(x.shape)) must be [T, E] = [\(sequences.tokenCount), \(width)] "
                    + "(T = Σ lengths \(sequences.lengths.prefix(8).map(String.init).joined(separator: ", "))"
                    + "\(sequences.count > 8 ? ", …" : ""))")
        }
        let source = x.contiguous()
        let result = Tensor<Float>(shape: x.shape)
        encode(
            sequences, in: EncoderWorkspace(),
            input: { hidden in
                source.withUnsafeBufferPointer { hidden.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            },
            output: { hidden in
                result.storage.pointer.update(from: hidden.baseAddress!, count: hidden.count)
            })
        return result
    }

    private func run(
        _ layer: Layer, _ sequences: PackedSequences, _ w: EncoderWorkspace, _ kernels: attend_kernel_table
    ) {
        let (t, e, f) = (sequences.tokenCount, width, feedForwardWidth)
        // qkv = x·W_inᵀ + b_in
        linear(w.hidden, layer.inWeight, layer.inBias, into: w.qkv, rows: t, inFeatures: e, outFeatures: 3 * e)
        // ctx = attention per sequence and head
        PackedAttention.selfAttention(
            kernels, qkv: w.qkv, sequences: sequences, heads: headCount, headDim: e / headCount, into: w.context)
        // x = LayerNorm₁(x + ctx·W_oᵀ + b_o)
        linear(w.context, layer.outWeight, layer.outBias, into: w.projection, rows: t, inFeatures: e, outFeatures: e)
        RowPass.layerNorm(
            kernels, into: w.hidden, x: w.projection, residual: w.hidden, bias: nil, norm: layer.norm1,
            rows: t, cols: e)
        // h = act(x·W₁ᵀ + b₁); x = LayerNorm₂(x + h·W₂ᵀ + b₂)
        linear(w.hidden, layer.weight1, layer.bias1, into: w.intermediate, rows: t, inFeatures: e, outFeatures: f)
        RowPass.biasActivation(kernels, w.intermediate, rows: t, cols: f, bias: nil, activation: layer.activation)
        linear(w.intermediate, layer.weight2, layer.bias2, into: w.projection, rows: t, inFeatures: f, outFeatures: e)
        RowPass.layerNorm(
            kernels, into: w.hidden, x: w.projection, residual: w.hidden, bias: nil, norm: layer.norm2, rows: t,
            cols: e)
    }

    /// y[T, out] = x[T, in]·Wᵀ + b, W `[out, in]` contiguous: one GEMM in row slabs, C starting from
    /// the bias.
    private func linear(
        _ x: UnsafePointer<Float>, _ weight: Tensor<Float>, _ bias: Tensor<Float>?, into y: UnsafeMutablePointer<Float>,
        rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        let call = GEMMCall(
            routine: GEMM.routine(for: Float.self), m: rows, n: outFeatures, k: inFeatures, transA: false,
            transB: true, lda: inFeatures, ldb: inFeatures, ldc: outFeatures, batchCount: 1, alpha: 1, beta: 0)
        withExtendedLifetime((weight, bias)) {
            GEMM.rowSlabs(
                call, a: x, b: weight.storage.pointer + weight.offset, c: y,
                bias: bias.map { UnsafePointer($0.storage.pointer + $0.offset) })
        }
    }
}
