import Attend
import AttendReference
import RealModule

/// Every case `attend compare` can run: ``defaultCases()`` (random inputs of seed and realistic
/// shapes), ``shapeCases(_:_:options:)`` (`--shape`) and ``inputCases(_:inputs:options:explicit:)``
/// (`--inputs`, the user's files). Each case measures the engine, the Double reference and the Float
/// reference and returns a ``CaseMeasurement``.
public enum CaseRegistry {
    /// The default run: seed shapes and realistic shapes of every op, sized so the whole run
    /// (dominated by the naive reference) stays within a few minutes on two cores.
    public static func defaultCases() -> [CompareCase] {
        var cases: [CompareCase] = []
        func add(
            _ op: CompareOp, _ name: String, _ shapes: String,
            _ measure: @escaping (inout SeededGenerator) throws -> CaseMeasurement
        ) {
            cases.append(CompareCase(op: op, name: name, shapes: shapes, measure: measure))
        }
        typealias R = RandomInputs

        // matmul
        add(.matmul, "seed 000 Q·Kᵀ (K a transposed view)", "[2,4,10,32]·[2,4,10,32]ᵀ") { g in
            let q = R.randn([2, 4, 10, 32], &g)
            let k = R.randn([2, 4, 10, 32], &g)
            return try Measure.matmul(q, k.transposed(-2, -1))
        }
        add(.matmul, "large batched", "[8,256,384]·[8,384,256]") { g in
            try Measure.matmul(R.randn([8, 256, 384], &g), R.randn([8, 384, 256], &g))
        }
        add(.matmul, "Aᵀ view · strided B (copied)", "[384,64]ᵀ·[384,96]/2") { g in
            let a = R.randn([384, 64], &g).transposed(0, 1)
            let b = try R.randn([384, 192], &g).sliced(1, 0..<192, step: 2)
            return try Measure.matmul(a, b)
        }

        // einsum
        add(.einsum, "bhld,bhmd->bhlm", "[2,4,10,32]×2") { g in
            try Measure.einsum("bhld,bhmd->bhlm", [R.randn([2, 4, 10, 32], &g), R.randn([2, 4, 10, 32], &g)])
        }
        add(.einsum, "ij,jk (implicit output)", "[64,48]·[48,80]") { g in
            try Measure.einsum("ij,jk", [R.randn([64, 48], &g), R.randn([48, 80], &g)])
        }
        add(.einsum, "bij,bjk,bkl->bil (3 operands)", "[4,16,24]·[4,24,32]·[4,32,8]") { g in
            try Measure.einsum(
                "bij,bjk,bkl->bil", [R.randn([4, 16, 24], &g), R.randn([4, 24, 32], &g), R.randn([4, 32, 8], &g)])
        }
        add(.einsum, "bhlm,bhmd->bhld", "[2,8,64,64]·[2,8,64,64]") { g in
            try Measure.einsum("bhlm,bhmd->bhld", [R.randn([2, 8, 64, 64], &g), R.randn([2, 8, 64, 64], &g)])
        }
        add(.einsum, "bhld,bhmd->bhlm realistic", "[2,8,128,64]×2") { g in
            try Measure.einsum("bhld,bhmd->bhlm", [R.randn([2, 8, 128, 64], &g), R.randn([2, 8, 128, 64], &g)])
        }

        // softmax / logSoftmax
        for log in [false, true] {
            let op: CompareOp = log ? .logsoftmax : .softmax
            add(op, "random logits ×4", "[4,8,64,64] dim -1") { g in
                try Measure.softmax(R.randn([4, 8, 64, 64], &g, scale: 4), dim: -1, log: log)
            }
            add(op, "dim 1 of a permuted view", "[3,4,9] dim 1") { g in
                try Measure.softmax(try R.randn([9, 4, 3], &g, scale: 4).permuted(2, 1, 0), dim: 1, log: log)
            }
            add(op, "extreme logits ±1e4", "[4,16] dim -1") { g in
                let values = (0..<64).map { _ -> Float in [1e4, -1e4, 0, 1e4 - 1][Int(g.next() % 4)] }
                return try Measure.softmax(try Tensor(shape: [4, 16], scalars: values), dim: -1, log: log)
            }
            add(op, "-inf entries and an all -inf row", "[3,8] dim -1") { g in
                var values = R.randn([3, 8], &g).scalars
                for j in [1, 4, 6] { values[8 + j] = -.infinity }
                for j in 0..<8 { values[16 + j] = -.infinity }
                return try Measure.softmax(try Tensor(shape: [3, 8], scalars: values), dim: -1, log: log)
            }
        }
        add(.softmax, "attention scores B2 H8 L512", "[2,8,512,512] dim -1") { g in
            try Measure.softmax(R.randn([2, 8, 512, 512], &g, scale: 3), dim: -1, log: false)
        }

        // sum / mean / std
        let seed001: Tensor<Float> = {
            func block(_ scale: Float) -> [Float] {
                Array((0..<4).map { _ in (1...5).map { Float($0) * scale } }.joined())
            }
            return try! Tensor(shape: [3, 4, 5], scalars: block(1) + block(10) + block(100))  // 60 values
        }()
        for kind in [Measure.Reduction.sum, .mean, .std] {
            let op = CompareOp(rawValue: kind.rawValue)!
            add(op, "seed 001 over dims 0, 1, 2", "[3,4,5]") { _ in
                try Measure.reduction(seed001, kind, dimsList: [[0], [1], [2]])
            }
            add(op, "activations, dim -1 and dims 0,1", "[2,128,768]") { g in
                try Measure.reduction(
                    R.randn([2, 128, 768], &g, scale: 2, offset: 0.5), kind, dimsList: [[-1], [0, 1]])
            }
        }

        // linear
        add(.linear, "fused QKV projection", "[2,128,512]·[1536,512]ᵀ+b") { g in
            let scale = Float(1 / 512.0.squareRoot())
            return try Measure.linear(
                R.randn([2, 128, 512], &g), weight: R.randn([1536, 512], &g, scale: scale),
                bias: R.randn([1536], &g, scale: scale))
        }
        add(.linear, "transposed input, no bias", "[7,5]ᵀ·[3,7]ᵀ") { g in
            try Measure.linear(R.randn([7, 5], &g).transposed(0, 1), weight: R.randn([3, 7], &g), bias: nil)
        }

        // squared distances
        let seedA = try! Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
        let seedB = try! Tensor<Float>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])
        add(.sqdist, "seed 000 broadcasting", "[5,2]·[3,2]") { _ in
            try Measure.squaredDistances(seedA, seedB, method: .broadcasting, centered: false)
        }
        add(.sqdist, "seed 000 gemm", "[5,2]·[3,2]") { _ in
            try Measure.squaredDistances(seedA, seedB, method: .gemm, centered: false)
        }
        add(.sqdist, "large broadcasting", "[256,64]·[128,64]") { g in
            try Measure.squaredDistances(
                R.randn([256, 64], &g), R.randn([128, 64], &g), method: .broadcasting, centered: false)
        }
        add(.sqdist, "large gemm", "[1024,64]·[512,64]") { g in
            try Measure.squaredDistances(
                R.randn([1024, 64], &g), R.randn([512, 64], &g), method: .gemm, centered: false)
        }
        add(.sqdist, "points near 1e3, gemm", "[256,16]·[128,16] +1e3") { g in
            try Measure.squaredDistances(
                R.randn([256, 16], &g, offset: 1000), R.randn([128, 16], &g, offset: 1000), method: .gemm,
                centered: false)
        }
        add(.sqdist, "points near 1e3, gemm centered", "[256,16]·[128,16] +1e3") { g in
            try Measure.squaredDistances(
                R.randn([256, 16], &g, offset: 1000), R.randn([128, 16], &g, offset: 1000), method: .gemm,
                centered: true)
        }

        // conv1d
        let signal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        let kernel = Tensor<Float>([0.5, 1, 0.5])
        add(.conv1d, "seed 000 [10..100]·[0.5,1,0.5]", "[10]*[3]") { _ in
            try Measure.correlate(signal: signal, kernel: kernel, stride: 1)
        }
        add(.conv1d, "seed 000 stride 3", "[10]*[3] /3") { _ in
            try Measure.correlate(signal: signal, kernel: kernel, stride: 3)
        }
        add(.conv1d, "long signal", "[65536]*[33]") { g in
            try Measure.correlate(signal: R.randn([65536], &g), kernel: R.randn([33], &g), stride: 1)
        }

        // conv2d and patchify
        add(.conv2d, "3×3, padding 1, bias", "[2,3,16,16]*[8,3,3,3]") { g in
            try Measure.conv2d(
                R.randn([2, 3, 16, 16], &g), weight: R.randn([8, 3, 3, 3], &g), bias: R.randn([8], &g), stride: (1, 1),
                padding: (1, 1))
        }
        add(.conv2d, "ResNet stage 3×3 C64", "[1,64,56,56]*[64,64,3,3]") { g in
            try Measure.conv2d(
                R.randn([1, 64, 56, 56], &g), weight: R.randn([64, 64, 3, 3], &g, scale: 0.05), bias: R.randn([64], &g),
                stride: (1, 1),
                padding: (1, 1))
        }
        add(.conv2d, "stride 2, rectangular", "[2,4,15,12]*[6,4,3,2] /2") { g in
            try Measure.conv2d(
                R.randn([2, 4, 15, 12], &g), weight: R.randn([6, 4, 3, 2], &g), bias: nil, stride: (2, 2),
                padding: (1, 0))
        }
        add(.patchify, "8×8 RGB, P = 4", "[1,3,8,8] P4") { g in
            try Measure.patchify(R.randn([1, 3, 8, 8], &g), patch: 4)
        }
        add(.patchify, "ViT 224×224, P = 16", "[2,3,224,224] P16") { g in
            try Measure.patchify(R.randn([2, 3, 224, 224], &g), patch: 16)
        }

        // scaled dot-product attention
        func sdpa(
            _ name: String, _ q: [Int], _ k: [Int], _ v: [Int],
            _ mask: @escaping (inout SeededGenerator) -> AttentionMask<Float>
        ) {
            let shapes =
                q == k && k == v
                ? "\(compactShape(q))×3" : "q\(compactShape(q)) k\(compactShape(k)) v\(compactShape(v))"
            add(.sdpa, name, shapes) { g in
                let (qt, kt, vt) = (R.randn(q, &g), R.randn(k, &g), R.randn(v, &g))
                return try Measure.sdpa(qt, kt, vt, mask: mask(&g))
            }
        }
        let small = [2, 4, 10, 32]
        sdpa("no mask", small, small, small) { _ in .none }
        sdpa("causal", small, small, small) { _ in .causal }
        sdpa("bool mask (True = may attend)", small, small, small) { g in
            .mayAttend(R.boolMask([10, 10], &g, keep: 0.7))
        }
        sdpa("float mask with -inf and -1e4", small, small, small) { g in
            let values = (0..<(2 * 10 * 10)).map { _ -> Double in
                let draw = g.nextUnit()
                return draw < 0.2 ? -.infinity : draw < 0.25 ? -1e4 : Double(Float(g.nextNormal()))
            }
            // 200 values
            return .additive(try! Tensor<Float>(shape: [2, 1, 10, 10], scalars: values.map { Float($0) }))
        }
        sdpa("key padding", small, small, small) { g in
            .keyPadding(try! BoolTensor(shape: [2, 10], elements: (0..<20).map { $0 % 10 >= 7 || g.nextUnit() < 0.1 }))
        }
        sdpa("fully masked rows → zeros", small, small, small) { g in
            var elements = R.boolMask([2, 4, 10, 10], &g, keep: 0.6).elements
            for j in 0..<10 {
                elements[3 * 10 + j] = false
                elements[(4 * 10 + 7) * 10 + j] = false
            }
            return .mayAttend(try! BoolTensor(shape: [2, 4, 10, 10], elements: elements))
        }
        sdpa("causal, Lq 7 < Lk 13", [2, 4, 7, 32], [2, 4, 13, 32], [2, 4, 13, 32]) { _ in .causal }
        sdpa("causal, Lq 13 > Lk 7", [2, 4, 13, 32], [2, 4, 7, 32], [2, 4, 7, 32]) { _ in .causal }
        sdpa("Dk 16 ≠ Dv 24", [2, 4, 10, 16], [2, 4, 10, 16], [2, 4, 10, 24]) { _ in .none }
        let large = [2, 8, 512, 64]
        sdpa("realistic B2 H8 L512 D64", large, large, large) { _ in .none }
        sdpa("realistic causal B2 H8 L512 D64", large, large, large) { _ in .causal }

        // multi-head attention
        add(.mha, "self E512 H8 L128 (fused QKV)", "x[2,128,512]") { g in
            let layer = try R.mhaLayer(embed: 512, heads: 8, &g)
            let x = R.randn([2, 128, 512], &g)
            return try Measure.mha(layer, query: x, key: x, value: x, mask: .none)
        }
        add(.mha, "self E512 H8 L128, causal", "x[2,128,512]") { g in
            let layer = try R.mhaLayer(embed: 512, heads: 8, &g)
            let x = R.randn([2, 128, 512], &g)
            return try Measure.mha(layer, query: x, key: x, value: x, mask: .causal)
        }
        add(.mha, "cross kdim 48, vdim 80, Lq 9, Lk 17", "q[2,9,64] k[2,17,48] v[2,17,80]") { g in
            let layer = try R.mhaLayer(embed: 64, heads: 4, keyDim: 48, valueDim: 80, &g)
            return try Measure.mha(
                layer, query: R.randn([2, 9, 64], &g), key: R.randn([2, 17, 48], &g), value: R.randn([2, 17, 80], &g),
                mask: .none)
        }
        add(.mha, "key padding + causal", "x[3,16,64]") { g in
            let layer = try R.mhaLayer(embed: 64, heads: 4, &g)
            let x = R.randn([3, 16, 64], &g)
            let padding = try! BoolTensor(shape: [3, 16], elements: (0..<48).map { $0 % 16 >= 16 - 3 * ($0 / 16) })
            return try Measure.mha(layer, query: x, key: x, value: x, mask: .all([.causal, .keyPadding(padding)]))
        }

        // LayerNorm and the encoder layer
        add(.layernorm, "affine, E512", "[2,128,512]") { g in
            try Measure.layerNorm(
                R.randn([2, 128, 512], &g), weight: R.randn([512], &g, offset: 1), bias: R.randn([512], &g), eps: 1e-5)
        }
        add(.layernorm, "large offset (x ≈ 1000 ± 0.01)", "[64,256]") { g in
            try Measure.layerNorm(R.randn([64, 256], &g, scale: 0.01, offset: 1000), weight: nil, bias: nil, eps: 1e-5)
        }
        add(.encoderLayer, "post-norm ReLU E256 H8 F1024", "x[2,64,256]") { g in
            let layer = try R.encoderLayer(
                embed: 256, heads: 8, feedForward: 1024, activation: .relu, normFirst: false, &g)
            return try Measure.encoderLayer(layer, x: R.randn([2, 64, 256], &g), mask: .none)
        }
        add(.encoderLayer, "BERT-base size: post-norm GELU E768 H12 F3072", "x[1,128,768]") { g in
            let layer = try R.encoderLayer(
                embed: 768, heads: 12, feedForward: 3072, activation: .gelu, normFirst: false, &g)
            return try Measure.encoderLayer(layer, x: R.randn([1, 128, 768], &g), mask: .none)
        }
        add(.encoderLayer, "pre-norm GELU, causal E64 H4 F128", "x[2,16,64]") { g in
            let layer = try R.encoderLayer(
                embed: 64, heads: 4, feedForward: 128, activation: .gelu, normFirst: true, &g)
            return try Measure.encoderLayer(layer, x: R.randn([2, 16, 64], &g), mask: .causal)
        }
        return cases
    }
}
