import Attend
import AttendReference
import AttendVerification
import Testing

@Suite("Multi-head attention")
struct MultiHeadAttentionTests {
    /// Random non-zero biases so the test exercises them (PyTorch initialises them to zero).
    static func randomized(_ layer: MultiHeadAttention<Float>, _ factory: inout TensorFactory) throws
        -> MultiHeadAttention<Float>
    {
        try MultiHeadAttention(
            numHeads: layer.numHeads, qWeight: layer.qWeight, kWeight: layer.kWeight, vWeight: layer.vWeight,
            qBias: factory.randn([layer.qWeight.shape[0]]), kBias: factory.randn([layer.kWeight.shape[0]]),
            vBias: factory.randn([layer.vWeight.shape[0]]), outWeight: layer.outWeight,
            outBias: factory.randn([layer.embedDim]))
    }

    /// Compares the layer with the reference elementwise within the policy's worst-case
    /// propagation (``Propagation/multiHeadAttention(query:key:value:weights:mask:fused:)``): the
    /// output and head-averaged weights of the materialized path, and the output of the fused
    /// kernels (the layer called without weights) with `fused: true`.
    func expectMatchesReference(
        _ layer: MultiHeadAttention<Float>, query: Tensor<Float>, key: Tensor<Float>, value: Tensor<Float>,
        mask: AttentionMask<Float> = .none, _ context: String
    ) throws {
        let result = try layer(query: query, key: key, value: value, mask: mask, weights: .averaged)
        let fused = try layer(query: query, key: key, value: value, mask: mask).output
        let weights = layer.referenceWeights(Double.self)
        let exact = try Reference.multiHeadAttention(
            query: query.reference, key: key.reference, value: value.reference, weights: weights,
            mask: mask.reference(Double.self), averageWeights: true)
        let scores = try ScoresMask(mask, scoresShape: [query.shape[0], layer.numHeads, query.shape[1], key.shape[1]])
        func bound(fused: Bool) -> (output: Tracked, averagedWeights: Tracked) {
            Propagation.worstCase.multiHeadAttention(
                query: Tracked(exact: query.reference), key: Tracked(exact: key.reference),
                value: Tracked(exact: value.reference), weights: weights, mask: scores, fused: fused)
        }
        let materialized = bound(fused: false)
        expectWithinBound(result.output, exact.output, bound: materialized.output.error, "output \(context)")
        expectWithinBound(
            result.weights!, exact.weights, bound: materialized.averagedWeights.error, "weights \(context)")
        expectWithinBound(fused, exact.output, bound: bound(fused: true).output.error, "fused output \(context)")
    }

    @Test(
        "self-attention (one fused QKV GEMM) matches the reference, with causal and padding masks",
        arguments: KernelPath.supported)
    func selfAttention(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 200)
            let layer = try Self.randomized(
                MultiHeadAttention<Float>(embedDim: 16, numHeads: 4, using: &factory.generator), &factory)
            let x: Tensor<Float> = factory.randn([2, 5, 16])
            try expectMatchesReference(layer, query: x, key: x, value: x, "plain")
            try expectMatchesReference(layer, query: x, key: x, value: x, mask: .causal, "causal")
            let padding = try BoolTensor(
                shape: [2, 5], elements: [false, false, false, true, true, false, false, false, false, true])
            try expectMatchesReference(
                layer, query: x, key: x, value: x, mask: .all([.causal, .keyPadding(padding)]), "causal+padding")
        }
    }

    @Test("the fused self-attention path equals separate Q, K, V projections", arguments: KernelPath.supported)
    func fusedEqualsSeparate(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 201)
            let layer = try Self.randomized(
                MultiHeadAttention<Float>(embedDim: 12, numHeads: 3, using: &factory.generator), &factory)
            let x: Tensor<Float> = factory.randn([2, 4, 12])
            let copy = x.contiguous() + 0  // same values, different buffer: takes the unfused path
            let fused = try layer(query: x, key: x, value: x).output
            let separate = try layer(query: x, key: copy, value: copy).output
            let diff = zip(fused.scalars, separate.scalars).map { Swift.abs($0 - $1) }.max()!
            #expect(diff <= 1e-5)
        }
    }

    @Test(
        "a bias on only some of q, k, v is kept on the fused path and exported as in_proj_bias",
        arguments: KernelPath.supported)
    func mixedBiases(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 209)
            let base = try MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, bias: false, using: &factory.generator)
            let layer = try MultiHeadAttention(
                numHeads: 2, qWeight: base.qWeight, kWeight: base.kWeight, vWeight: base.vWeight,
                qBias: factory.randn([8]), kBias: nil, vBias: nil, outWeight: base.outWeight, outBias: nil)
            let x: Tensor<Float> = factory.randn([2, 3, 8])
            try expectMatchesReference(layer, query: x, key: x, value: x, "fused, q bias only")
            let exported = layer.stateDict()["in_proj_bias"]
            #expect(exported?.shape == [24])
            #expect(exported.map { Array($0.scalars[8...]) } == Array(repeating: 0, count: 16))
        }
    }

    @Test(
        "a state_dict with a missing, renamed or unexpected entry is refused by name", arguments: KernelPath.supported)
    func strictStateDict(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var g = SeededGenerator(seed: 210)
            let layer = try TransformerEncoderLayer<Float>(embedDim: 8, numHeads: 2, feedForwardDim: 12, using: &g)
            var renamed = layer.stateDict()
            renamed["norm1.gamma"] = renamed.removeValue(forKey: "norm1.weight")
            let e1 = #expect(throws: TensorError.self) {
                try TransformerEncoderLayer<Float>(stateDict: renamed, numHeads: 2)
            }
            #expect(e1?.message.contains("norm1.gamma") == true)
            var missing = layer.stateDict()
            missing.removeValue(forKey: "self_attn.in_proj_bias")
            let e2 = #expect(throws: TensorError.self) {
                try TransformerEncoderLayer<Float>(stateDict: missing, numHeads: 2)
            }
            #expect(e2?.message.contains("no 'self_attn.in_proj_bias'") == true)
            var noBias = layer.stateDict()
            for key in ["self_attn.in_proj_bias", "self_attn.out_proj.bias", "linear1.bias", "linear2.bias"] {
                noBias.removeValue(forKey: key)
            }
            let unbiased = try TransformerEncoderLayer<Float>(stateDict: noBias, numHeads: 2, bias: false)
            #expect(unbiased.selfAttention.qBias == nil && unbiased.feedForward.linear1.bias == nil)
        }
    }

    @Test("cross-attention with kdim ≠ vdim ≠ E and Lq ≠ Lk matches the reference", arguments: KernelPath.supported)
    func crossAttention(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 202)
            let layer = try Self.randomized(
                MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, keyDim: 6, valueDim: 10, using: &factory.generator),
                &factory)
            let q: Tensor<Float> = factory.randn([2, 3, 8])
            let k: Tensor<Float> = factory.randn([2, 7, 6], .strided)
            let v: Tensor<Float> = factory.randn([2, 7, 10], .transposed)
            try expectMatchesReference(layer, query: q, key: k, value: v, "cross")
        }
    }

    @Test(
        "per-head key and value widths may differ (headDimK 3, headDimV 5), which PyTorch cannot do",
        arguments: KernelPath.supported)
    func differentHeadWidths(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 203)
            let layer = try Self.randomized(
                MultiHeadAttention<Float>(
                    embedDim: 8, numHeads: 2, headDimK: 3, headDimV: 5, using: &factory.generator),
                &factory)
            #expect(
                layer.qWeight.shape == [6, 8] && layer.vWeight.shape == [10, 8] && layer.outWeight.shape == [8, 10])
            let x: Tensor<Float> = factory.randn([1, 4, 8])
            try expectMatchesReference(layer, query: x, key: x, value: x, "dk≠dv")
        }
    }

    @Test(
        "seed 001's claim: projecting once and splitting into heads equals separate per-head W_Q, W_K, W_V",
        arguments: KernelPath.supported)
    func splitEqualsPerHeadMatrices(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 204)
            let layer = try Self.randomized(
                MultiHeadAttention<Float>(embedDim: 12, numHeads: 3, using: &factory.generator), &factory)
            let x: Tensor<Float> = factory.randn([2, 5, 12])
            var heads: [Tensor<Float>] = []
            for h in 0..<3 {
                // Head h's own matrices: rows h·4 ..< (h+1)·4 of each projection, as three small layers.
                func slice(_ w: Tensor<Float>) throws -> Tensor<Float> {
                    try w.narrowed(0, start: 4 * h, length: 4).contiguous()
                }
                let q = try linear(x, weight: slice(layer.qWeight), bias: slice(layer.qBias!))  // [2, 5, 4]
                let k = try linear(x, weight: slice(layer.kWeight), bias: slice(layer.kBias!))
                let v = try linear(x, weight: slice(layer.vWeight), bias: slice(layer.vBias!))
                heads.append(try scaledDotProductAttention(queries: q, keys: k, values: v).output)
            }
            let concatenated = try Tensor.concatenated(heads, dim: -1)  // [2, 5, 12]
            let perHead = try linear(concatenated, weight: layer.outWeight, bias: layer.outBias)
            let fused = try layer(query: x, key: x, value: x).output
            let diff = zip(fused.scalars, perHead.scalars).map { Swift.abs($0 - $1) }.max()!
            #expect(diff <= 1e-5, "max difference \(diff)")
        }
    }

    @Test(
        "weights come back averaged over heads [B, Lq, Lk] or per head [B, H, Lq, Lk]", arguments: KernelPath.supported)
    func weightOutputs(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 205)
            let layer = try MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, using: &factory.generator)
            let x: Tensor<Float> = factory.randn([3, 4, 8])
            let perHead = try layer(query: x, key: x, value: x, weights: .perHead).weights!
            let averaged = try layer(query: x, key: x, value: x, weights: .averaged).weights!
            #expect(perHead.shape == [3, 2, 4, 4] && averaged.shape == [3, 4, 4])
            let mean = try perHead.mean(dim: 1)
            #expect(zip(mean.scalars, averaged.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-6 })
            #expect(try layer(query: x, key: x, value: x).weights == nil)
        }
    }

    @Test(
        "the state_dict round-trips under PyTorch's names, including q/k/v_proj_weight for kdim/vdim",
        arguments: KernelPath.supported)
    func stateDictRoundTrip(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 206)
            let selfLayer = try MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, using: &factory.generator)
            #expect(
                Set(selfLayer.stateDict().keys) == [
                    "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
                ])
            #expect(selfLayer.stateDict()["in_proj_weight"]?.shape == [24, 8])
            let cross = try Self.randomized(
                MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, keyDim: 6, valueDim: 10, using: &factory.generator),
                &factory)
            let dict = cross.stateDict()
            #expect(
                Set(dict.keys) == [
                    "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight",
                    "out_proj.bias",
                ])
            #expect(dict["k_proj_weight"]?.shape == [8, 6] && dict["in_proj_bias"]?.shape == [24])
            let loaded = try MultiHeadAttention<Float>(stateDict: dict, numHeads: 2)
            let q: Tensor<Float> = factory.randn([1, 3, 8])
            let k: Tensor<Float> = factory.randn([1, 4, 6])
            let v: Tensor<Float> = factory.randn([1, 4, 10])
            #expect(try loaded(query: q, key: k, value: v).output == cross(query: q, key: k, value: v).output)
            let missing = #expect(throws: TensorError.self) {
                try MultiHeadAttention<Float>(stateDict: ["in_proj_weight": dict["out_proj.weight"]!], numHeads: 2)
            }
            #expect(missing != nil)
        }
    }

    @Test(
        "Xavier-uniform initialisation is seeded: same seed, same weights, within ±√(6/(E+3E))",
        arguments: KernelPath.supported)
    func seededInit(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var g1 = SeededGenerator(seed: 5)
            var g2 = SeededGenerator(seed: 5)
            let a = try MultiHeadAttention<Float>(embedDim: 16, numHeads: 4, using: &g1)
            let b = try MultiHeadAttention<Float>(embedDim: 16, numHeads: 4, using: &g2)
            #expect(a.stateDict() == b.stateDict())
            let bound = Float((6.0 / 64).squareRoot())
            #expect(a.qWeight.scalars.allSatisfy { Swift.abs($0) <= bound })
            #expect(a.qBias?.scalars.allSatisfy { $0 == 0 } == true)
        }
    }

    @Test("embedDim not divisible by numHeads is refused with both numbers")
    func divisibility() throws {
        var g = SeededGenerator(seed: 1)
        let error = #expect(throws: TensorError.self) {
            try MultiHeadAttention<Float>(embedDim: 256, numHeads: 3, using: &g)
        }
        #expect(error?.message.hasPrefix("embedDim 256 is not divisible by numHeads 3") == true)
    }

    @Test("a wrong input width names the expected and actual shapes")
    func wrongWidth() throws {
        var g = SeededGenerator(seed: 1)
        let layer = try MultiHeadAttention<Float>(embedDim: 256, numHeads: 8, using: &g)
        let x = Tensor<Float>(shape: [32, 10, 2048])
        let error = #expect(throws: TensorError.self) { try layer(query: x, key: x, value: x) }
        #expect(
            error?.message.contains("query has shape [32, 10, 2048] but this layer expects [B, L, 256]") == true)
        #expect(error?.message.contains("2048 = 8 × 256") == true)
    }

    @Test(
        "seed 003's mistake — heads at full width concatenated to 2048 — is explained, not just refused",
        arguments: KernelPath.supported)
    func seed003FullWidthHeads(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            // Eight "single-head" layers each project the full 256 features; concatenating gives
            // [32, 10, 2048], which the 256→256 output projection cannot take.
            var factory = TensorFactory(seed: 207)
            let x: Tensor<Float> = factory.randn([32, 10, 256])
            var heads: [Tensor<Float>] = []
            for _ in 0..<8 {
                let w = Linear<Float>(inFeatures: 256, outFeatures: 256, using: &factory.generator)
                let projected = try w(x)  // [32, 10, 256]
                heads.append(
                    try scaledDotProductAttention(queries: projected, keys: projected, values: projected).output)
            }
            let concatenated = try Tensor.concatenated(heads, dim: -1)  // [32, 10, 2048]
            #expect(concatenated.shape == [32, 10, 2048])
            let fcOut = Linear<Float>(inFeatures: 256, outFeatures: 256, using: &factory.generator)
            let error = #expect(throws: TensorError.self) { try fcOut(concatenated) }
            let message = error?.description ?? ""
            #expect(
                message.hasPrefix("linear: input [32, 10, 2048] has 2048 features but weight [256, 256] expects 256"))
            #expect(message.contains("2048 = 8 × 256"))
            #expect(message.contains("concatenating numHeads heads must give embedDim features"))
        }
    }

    @Test(
        "seed 003's 'corrected' code — per-head layers of width 32 fed the full 256 — is caught with the fix",
        arguments: KernelPath.supported)
    func seed003CorrectedStillWrong(path: KernelPath) throws {
        KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 208)
            let x: Tensor<Float> = factory.randn([32, 10, 256])
            // SingleHeadSelfAttention(32).query
            let headLayer = Linear<Float>(inFeatures: 32, outFeatures: 32, using: &factory.generator)
            let error = #expect(throws: TensorError.self) { try headLayer(x) }
            let message = error?.description ?? ""
            #expect(message.hasPrefix("linear: input [32, 10, 256] has 256 features but weight [32, 32] expects 32"))
            #expect(message.contains("a per-head layer must see only its slice of the embedding"))
        }
    }
}
