import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

/// Every `attend run` form on small .npy files written here, checked against AttendReference
/// computed in Double on the same (Float-exact) values — never against the engine.
@Suite("attend run: each form reproduces the reference")
struct RunTests {
    /// Runs the tool and expects success with nothing on stderr.
    private func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try AttendTool.run(arguments)
        #expect(outcome.status == 0, "\(arguments.joined(separator: " "))\n\(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)", sourceLocation: sourceLocation)
    }

    @Test("run einsum \"bhld,bhmd->bhlm\" writes float32 Q·Kᵀ scores")
    func einsum() throws {
        let dir = try Scratch()
        var data = TestData(seed: 1)
        let a = data.randn([2, 3, 4, 8])
        let b = data.randn([2, 3, 5, 8])
        try run([
            "run", "einsum", "--equation", "bhld,bhmd->bhlm", "--input", dir.write("a.npy", a), "--input",
            dir.write("b.npy", b),
            "--output", dir.path("out.npy"),
        ])
        let expected = try Reference.einsum("bhld,bhmd->bhlm", a, b)
        try expectArray(
            dir.read("out.npy"), equals: expected, dtype: .float32,
            tolerance: chainTolerance(longestReduction: 8, scale: maxMagnitude(expected)))
    }

    @Test("run matmul broadcasts a batched A against a matrix B")
    func matmul() throws {
        let dir = try Scratch()
        var data = TestData(seed: 2)
        let a = data.randn([2, 3, 4])
        let b = data.randn([4, 5])
        try run([
            "run", "matmul", "--input", dir.write("a.npy", a), "--input", dir.write("b.npy", b), "--output",
            dir.path("out.npy"),
        ])
        let expected = try Reference.matmul(a, b)
        try expectArray(
            dir.read("out.npy"), equals: expected, dtype: .float32,
            tolerance: chainTolerance(longestReduction: 4, scale: maxMagnitude(expected)))
    }

    @Test("run softmax normalizes along --dim, negative or not", arguments: [-1, 0, 1])
    func softmax(dim: Int) throws {
        let dir = try Scratch()
        var data = TestData(seed: 3)
        let x = data.randn([3, 4, 5], scale: 3)
        try run(["run", "softmax", "--input", dir.write("x.npy", x), "--dim", "\(dim)", "--output", dir.path("p.npy")])
        let expected = try Reference.softmax(x, dim: dim)
        try expectArray(dir.read("p.npy"), equals: expected, dtype: .float32, tolerance: 1e-6)
    }

    @Test("run sum, mean and std reduce over the given dims; std is unbiased unless --no-unbiased")
    func reductions() throws {
        let dir = try Scratch()
        var data = TestData(seed: 4)
        let x = data.randn([3, 4, 5], scale: 2)
        let input = try dir.write("x.npy", x)
        try run(["run", "sum", "--input", input, "--dim", "1", "--output", dir.path("sum.npy")])
        try run(["run", "mean", "--input", input, "--dim", "1", "--dim", "-1", "--output", dir.path("mean.npy")])
        try run(["run", "std", "--input", input, "--dim", "1", "--output", dir.path("std.npy")])
        try run(["run", "std", "--input", input, "--dim", "1", "--no-unbiased", "--output", dir.path("std0.npy")])
        try run(["run", "sum", "--input", input, "--output", dir.path("all.npy")])
        // Double accumulation rounded once to Float: relative u, well inside 1e-6·scale.
        try expectArray(dir.read("sum.npy"), equals: try Reference.sum(x, dim: 1), dtype: .float32, tolerance: 1e-5)
        try expectArray(
            dir.read("mean.npy"), equals: try Reference.mean(x, dims: [1, -1]), dtype: .float32, tolerance: 1e-6)
        try expectArray(
            dir.read("std.npy"), equals: try Reference.standardDeviation(x, dim: 1, unbiased: true), dtype: .float32,
            tolerance: 1e-6)
        try expectArray(
            dir.read("std0.npy"), equals: try Reference.standardDeviation(x, dim: 1, unbiased: false), dtype: .float32,
            tolerance: 1e-6)
        try expectArray(dir.read("all.npy"), equals: try Reference.sum(x), dtype: .float32, tolerance: 1e-5)
    }

    @Test("run sqdist gives seed 000's 5×3 distance matrix")
    func squaredDistances() throws {
        let dir = try Scratch()
        let a = ReferenceArray<Double>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
        let b = ReferenceArray<Double>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])
        for method in ["broadcasting", "gemm"] {
            try run([
                "run", "sqdist", "--input", dir.write("a.npy", a), "--input", dir.write("b.npy", b), "--method", method,
                "--output", dir.path("d.npy"),
            ])
            let expected = ReferenceArray<Double>(
                shape: [5, 3], values: [0.5, 12.5, 200, 0.5, 4.5, 162, 4.5, 0.5, 128, 12.5, 0.5, 98, 24.5, 4.5, 72])
            #expect(try Reference.squaredDistances(a, b) == expected)
            try expectArray(dir.read("d.npy"), equals: expected, dtype: .float32, tolerance: 0, method)
        }
    }

    @Test("run conv1d of seed 000's signal 10…100 with [0.5, 1, 0.5] is [40, 60, …, 180]; stride 3 keeps every third")
    func conv1d() throws {
        let dir = try Scratch()
        let signal = ReferenceArray<Double>((1...10).map { Double($0 * 10) })
        let kernel = ReferenceArray<Double>([0.5, 1, 0.5])
        let (s, k) = (try dir.write("signal.npy", signal), try dir.write("k.npy", kernel))
        try run(["run", "conv1d", "--input", s, "--kernel", k, "--output", dir.path("out.npy")])
        try run(["run", "conv1d", "--input", s, "--kernel", k, "--stride", "3", "--output", dir.path("out3.npy")])
        try expectArray(
            dir.read("out.npy"), equals: ReferenceArray([40, 60, 80, 100, 120, 140, 160, 180]), dtype: .float32,
            tolerance: 0)
        try expectArray(
            dir.read("out3.npy"), equals: try Reference.correlate(signal: signal, kernel: kernel, stride: 3),
            dtype: .float32, tolerance: 0)
    }

    @Test("run patchify cuts [1, 3, 8, 8] into 4 patches of 3·4·4 values, exactly")
    func patchify() throws {
        let dir = try Scratch()
        var data = TestData(seed: 6)
        let image = data.randn([1, 3, 8, 8])
        try run([
            "run", "patchify", "--input", dir.write("image.npy", image), "--patch", "4", "--output", dir.path("p.npy"),
        ])
        try expectArray(
            dir.read("p.npy"), equals: try Reference.patchify(image, patch: 4), dtype: .float32, tolerance: 0)
    }

    @Test("run layernorm with and without affine parameters")
    func layerNorm() throws {
        let dir = try Scratch()
        var data = TestData(seed: 7)
        let x = data.randn([2, 5, 16], scale: 3)
        let w = data.randn([16])
        let b = data.randn([16])
        let input = try dir.write("x.npy", x)
        try run([
            "run", "layernorm", "--input", input, "--weight", dir.write("w.npy", w), "--bias", dir.write("b.npy", b),
            "--output", dir.path("y.npy"),
        ])
        try run(["run", "layernorm", "--input", input, "--eps", "1e-3", "--output", dir.path("plain.npy")])
        // Computed in Double and rounded once: 2 ulps of values below ~10.
        try expectArray(
            dir.read("y.npy"), equals: try Reference.layerNorm(x, normalizedDims: 1, weight: w, bias: b),
            dtype: .float32, tolerance: 1e-5)
        try expectArray(
            dir.read("plain.npy"), equals: try Reference.layerNorm(x, normalizedDims: 1, eps: 1e-3), dtype: .float32,
            tolerance: 1e-5)
    }

    @Test("run sdpa with a bool mask and --causal, Lq ≠ Lk and Dk ≠ Dv, writes output and weights")
    func sdpa() throws {
        let dir = try Scratch()
        var data = TestData(seed: 8)
        let q = data.randn([2, 2, 4, 8])
        let k = data.randn([2, 2, 6, 8])
        let v = data.randn([2, 2, 6, 5])
        let keep = data.bools(24, keep: 0.7)
        try run([
            "run", "sdpa", "--query", dir.write("q.npy", q), "--key", dir.write("k.npy", k), "--value",
            dir.write("v.npy", v),
            "--mask", dir.write("m.npy", bools: keep, shape: [4, 6]), "--causal", "--output", dir.path("o.npy"),
            "--attention-weights", dir.path("w.npy"),
        ])
        let mask = ReferenceArray<Double>(shape: [4, 6], values: keep.map { $0 ? 1 : 0 })
        let expected = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .all([.causal, .mayAttend(mask)]),
            scale: Double(1 / Float(8).squareRoot()))
        let tolerance = chainTolerance(longestReduction: 8, scale: maxMagnitude(expected.output))
        try expectArray(dir.read("o.npy"), equals: expected.output, dtype: .float32, tolerance: tolerance)
        try expectArray(dir.read("w.npy"), equals: expected.weights, dtype: .float32, tolerance: tolerance)
    }

    @Test("run sdpa --backend reference writes float64 equal to AttendReference, with a float mask and --scale")
    func sdpaReferenceBackend() throws {
        let dir = try Scratch()
        var data = TestData(seed: 9)
        let q = data.randn([3, 4, 8])
        let k = data.randn([3, 5, 8])
        let v = data.randn([3, 5, 8])
        var additive = data.randn([4, 5])
        additive.values[3] = -.infinity
        try run([
            "run", "sdpa", "--query", dir.write("q.npy", q), "--key", dir.write("k.npy", k), "--value",
            dir.write("v.npy", v),
            "--mask", dir.write("m.npy", additive), "--scale", "0.3", "--backend", "reference", "--output",
            dir.path("o.npy"),
        ])
        let expected = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .additive(additive), scale: 0.3)
        try expectArray(dir.read("o.npy"), equals: expected.output, dtype: .float64, tolerance: 0)
    }

    /// nn.MultiheadAttention parameters under their state_dict names.
    static func mhaStateDict(embed e: Int, _ data: inout TestData) -> [String: ReferenceArray<Double>] {
        let scale = 1 / Double(e).squareRoot()
        return [
            "in_proj_weight": data.randn([3 * e, e], scale: scale), "in_proj_bias": data.randn([3 * e], scale: 0.1),
            "out_proj.weight": data.randn([e, e], scale: scale), "out_proj.bias": data.randn([e], scale: 0.1),
        ]
    }

    @Test("run mha: self-attention from a .safetensors state_dict with a key padding mask, weights averaged over heads")
    func mha() throws {
        let dir = try Scratch()
        var data = TestData(seed: 10)
        let dict = Self.mhaStateDict(embed: 16, &data)
        let x = data.randn([2, 5, 16])
        let padding = [false, false, false, true, true, false, false, false, false, true]
        let input = try dir.write("x.npy", x)
        try run([
            "run", "mha", "--query", input, "--key", input, "--value", input, "--weights",
            dir.writeSafeTensors("w.safetensors", dict),
            "--num-heads", "4", "--key-padding-mask", dir.write("p.npy", bools: padding, shape: [2, 5]), "--causal",
            "--output", dir.path("o.npy"), "--attention-weights", dir.path("aw.npy"),
        ])
        let mask = ReferenceMask<Double>.all([
            .causal, .keyPadding(ReferenceArray(shape: [2, 5], values: padding.map { $0 ? 1 : 0 })),
        ])
        let expected = try Reference.multiHeadAttention(
            query: x, key: x, value: x, weights: try ReferenceMultiHeadAttentionWeights(stateDict: dict, numHeads: 4),
            mask: mask, averageWeights: true)
        let tolerance = chainTolerance(longestReduction: 16, scale: maxMagnitude(expected.output))
        try expectArray(dir.read("o.npy"), equals: expected.output, dtype: .float32, tolerance: tolerance)
        try expectArray(dir.read("aw.npy"), equals: expected.weights, dtype: .float32, tolerance: tolerance)
    }

    @Test("run encoder-layer: pre-norm GELU layer from a .npz state_dict")
    func encoderLayer() throws {
        let dir = try Scratch()
        var data = TestData(seed: 11)
        let (e, f) = (16, 32)
        var dict = Self.mhaStateDict(embed: e, &data).reduce(into: [String: ReferenceArray<Double>]()) {
            $0["self_attn." + $1.key] = $1.value
        }
        dict["linear1.weight"] = data.randn([f, e], scale: 0.25)
        dict["linear1.bias"] = data.randn([f], scale: 0.1)
        dict["linear2.weight"] = data.randn([e, f], scale: 0.18)
        dict["linear2.bias"] = data.randn([e], scale: 0.1)
        for norm in ["norm1", "norm2"] {
            dict[norm + ".weight"] = Reference.map(data.randn([e], scale: 0.1)) { $0 + 1 }
            dict[norm + ".bias"] = data.randn([e], scale: 0.1)
        }
        let x = data.randn([2, 5, e])
        try NPZ.write(
            dict.mapValues { ArrayData(shape: $0.shape, float32: $0.values.map { Float($0) }) },
            to: URL(fileURLWithPath: dir.path("w.npz")))
        try run([
            "run", "encoder-layer", "--input", dir.write("x.npy", x), "--weights", dir.path("w.npz"), "--num-heads",
            "4",
            "--activation", "gelu", "--norm-first", "--output", dir.path("y.npy"),
        ])
        let weights = try ReferenceTransformerEncoderLayerWeights(stateDict: dict, numHeads: 4)
        let expected = try Reference.transformerEncoderLayer(x, weights: weights, activation: .gelu, normFirst: true)
        try expectArray(
            dir.read("y.npy"), equals: expected, dtype: .float32,
            tolerance: chainTolerance(longestReduction: f, scale: maxMagnitude(expected)))
    }

    @Test("--help of run lists every form and the backends' output types")
    func help() throws {
        let outcome = try AttendTool.run(["run", "--help"])
        #expect(outcome.status == 0)
        for form in [
            "run einsum", "run matmul", "run softmax", "sum|mean|std", "run sqdist", "run conv1d", "run patchify",
            "run layernorm", "run sdpa", "run mha", "run encoder-layer", "<f4", "<f8",
        ] {
            #expect(outcome.stdout.contains(form), "missing \(form)")
        }
    }
}
