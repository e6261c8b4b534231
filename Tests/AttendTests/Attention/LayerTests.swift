import Attend
import AttendReference
import AttendVerification
import Testing

@Suite("LayerNorm, activations, feed-forward, encoder layer, positional encodings")
struct LayerTests {
    static let seedInput: [Float] = [
        1.9269, 1.4873, 0.9007, -2.1055, -0.7581, 1.0783, 0.8008, 1.6806, 0.3559, -0.6866, -0.4934, 0.2415,
        -0.2316, 0.0418, -0.2516, 0.8599, -0.3097, -0.3957, 0.8034, -0.6216,
    ]

    @Test("LayerNorm reproduces seed 001's printed nn.LayerNorm output within 1e-3")
    func seedLayerNorm() throws {
        let x = try Tensor<Float>(shape: [1, 5, 4], scalars: Self.seedInput)
        let y = try LayerNorm<Float>(normalizedShape: [4])(x)
        expectValues(
            y, shape: [1, 5, 4],
            [
                0.8716, 0.5928, 0.2209, -1.6853, -1.6203, 0.4198, 0.1115, 1.0889, 1.1111, -1.1985, -0.7703, 0.8577,
                -0.7452, -0.1393, -0.7894, 1.6739, -0.3243, -0.4803, 1.6947, -0.8900,
            ], absoluteTolerance: 1e-3)
    }

    @Test(
        "seed 001's hand-written variant ((x − mean)/(std + eps), unbiased std) is a different function",
        arguments: KernelPath.supported)
    func handWrittenVariantDiffers(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let x = try Tensor<Float>(shape: [1, 5, 4], scalars: Self.seedInput)
            let mean = try x.mean(dim: -1, keepDim: true)
            let std = try x.standardDeviation(dim: -1, keepDim: true)
            let handWritten = try (x - mean) / (std + 1e-8)
            let ours = try LayerNorm<Float>(normalizedShape: [4])(x)
            // Unbiased std is √(4/3) larger: the seed's variant shrinks every value by ≈ 0.866.
            let ratio = handWritten[0, 0, 0] / ours[0, 0, 0]
            #expect(Swift.abs(ratio - Float((3.0 / 4).squareRoot())) < 1e-3)
        }
    }

    @Test(
        "LayerNorm over the last k dims with affine parameters matches the reference", arguments: KernelPath.supported,
        [1, 2])
    func layerNormMatchesReference(path: KernelPath, k: Int) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 300 + UInt64(k))
            let x: Tensor<Float> = factory.randn([3, 4, 6], .permuted) * 3 + 5
            let shape = Array(x.shape.suffix(k))
            let w: Tensor<Float> = factory.randn(shape)
            let b: Tensor<Float> = factory.randn(shape)
            let y = try LayerNorm(normalizedShape: shape, eps: 1e-5, weight: w, bias: b)(x)
            let exact = try Reference.layerNorm(
                x.reference, normalizedDims: k, weight: w.reference, bias: b.reference, eps: 1e-5)
            // Computed in Double and rounded once: the policy's LayerNorm bound.
            let bound = try ForwardErrorBound(Float.self).layerNorm(
                BoundedArray(exact: x.reference), normalizedDims: k, weight: w.reference, bias: b.reference, eps: 1e-5)
            expectWithinBound(y, exact, bound: bound.error.values)
            #expect(throws: TensorError.self) { try LayerNorm<Float>(normalizedShape: [5])(x) }
        }
    }

    @Test("ReLU keeps NaN (as PyTorch does) instead of hiding it as 0")
    func reluPropagatesNaN() throws {
        let y = Tensor<Float>([.nan, -1, 2]).relu().scalars
        #expect(y[0].isNaN && y[1] == 0 && y[2] == 2)
    }

    @Test("ReLU, GELU (erf) and GELU (tanh) match the reference")
    func activations() throws {
        var factory = TensorFactory(seed: 310)
        let x: Tensor<Float> = factory.randn([5, 7], .transposed) * 3
        let model = ForwardErrorBound(Float.self)
        for (ours, kind) in [(x.relu(), ReferenceActivation.relu), (x.gelu(), .gelu), (x.geluTanh(), .geluTanh)] {
            let bound = model.activation(BoundedArray(exact: x.reference), kind)  // ReLU: exact
            expectWithinBound(ours, bound.value, bound: bound.error.values, "\(kind)")
        }
    }

    @Test(
        "sinusoidal positional encoding matches the formula: PE[0] = [0, 1, 0, 1 …], PE[1, 0] = sin 1, PE[1, 1] = cos 1",
    )
    func positionalEncoding() throws {
        let pe = sinusoidalPositionalEncoding(length: 6, dim: 8, as: Float.self)
        #expect(Array(pe.scalars[0..<8]) == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(
            Swift.abs(pe[1, 0] - Float(0.8414709848)) < 1e-7 && Swift.abs(pe[1, 1] - Float(0.5403023059)) < 1e-7)
        let exact = Reference.sinusoidalPositionalEncoding(length: 6, dim: 8, as: Double.self)
        expectWithinBound(pe, exact, bound: ErrorBounds.float.positionalEncoding(length: 6, dim: 8, exact: exact))
        var g = SeededGenerator(seed: 1)
        let learned = LearnedPositionalEmbedding<Float>(maxLength: 10, dim: 8, using: &g)
        let x = Tensor<Float>(shape: [2, 6, 8])
        #expect(
            try learned(x).scalars == Array(repeatElement(Array(learned.table.scalars[0..<48]), count: 2).joined()))
        #expect(throws: TensorError.self) { try learned(Tensor<Float>(shape: [2, 11, 8])) }
    }

    @Test(
        "the encoder layer matches the reference in post-norm and pre-norm, with ReLU and GELU",
        arguments: KernelPath.supported, [false, true])
    func encoderLayer(path: KernelPath, normFirst: Bool) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 320)
            let activation: Activation = normFirst ? .gelu : .relu
            let layer = try TransformerEncoderLayer<Float>(
                embedDim: 16, numHeads: 4, feedForwardDim: 32, activation: activation, normFirst: normFirst,
                using: &factory.generator)
            let x: Tensor<Float> = factory.randn([2, 5, 16])
            let y = try layer(x, mask: .causal)
            let exact = try Reference.transformerEncoderLayer(
                x.reference, weights: layer.referenceWeights(Double.self), activation: normFirst ? .gelu : .relu,
                normFirst: normFirst, mask: .causal)
            // The policy's worst-case propagation through every stage (the self-attention on the fused kernels).
            let bound = Propagation.worstCase.encoderLayer(
                Tracked(exact: x.reference), weights: layer.referenceWeights(Double.self),
                activation: normFirst ? .gelu : .relu, normFirst: normFirst, eps: layer.norm1.eps,
                mask: try ScoresMask(.causal, scoresShape: [2, 4, 5, 5]))
            expectWithinBound(y, exact, bound: bound.error)
        }
    }

    @Test("the encoder layer's state_dict uses PyTorch's names and round-trips")
    func encoderStateDict() throws {
        var g = SeededGenerator(seed: 330)
        let layer = try TransformerEncoderLayer<Float>(embedDim: 8, numHeads: 2, feedForwardDim: 12, using: &g)
        let dict = layer.stateDict()
        #expect(
            Set(dict.keys) == [
                "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias",
                "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
                "norm2.weight", "norm2.bias",
            ])
        let loaded = try TransformerEncoderLayer<Float>(stateDict: dict, numHeads: 2)
        let x = Tensor<Float>.randn([1, 3, 8], using: &g)
        #expect(try loaded(x) == layer(x))
    }
}
