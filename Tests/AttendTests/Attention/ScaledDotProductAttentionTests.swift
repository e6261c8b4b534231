import Attend
import AttendReference
import AttendVerification
import Testing

@Suite("Scaled dot-product attention")
struct ScaledDotProductAttentionTests {
    enum MaskKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case none, causal, causalFromEnd, mayAttend, additive, keyPadding, causalAndPadding
        var testDescription: String { rawValue }
    }

    static func mask(_ kind: MaskKind, b: Int, lq: Int, lk: Int, factory: inout TensorFactory) -> AttentionMask<Float> {
        var g = factory.generator
        defer { factory.generator = g }
        let padding = try! BoolTensor(shape: [b, lk], elements: (0..<(b * lk)).map { $0 % lk >= lk - 1 - $0 / lk })
        switch kind {
        case .none: return .none
        case .causal: return .causal
        case .causalFromEnd: return .causalFromEnd
        case .mayAttend:
            return .mayAttend(
                try! BoolTensor(shape: [lq, lk], elements: (0..<(lq * lk)).map { _ in g.nextUnit() < 0.7 }))
        case .additive:
            let values = (0..<(b * lq * lk)).map { _ -> Float in g.nextUnit() < 0.2 ? -.infinity : Float(g.nextNormal())
            }
            return .additive(try! Tensor(shape: [b, 1, lq, lk], scalars: values))
        case .keyPadding: return .keyPadding(padding)
        case .causalAndPadding: return .all([.causal, .keyPadding(padding)])
        }
    }

    @Test(
        "matches the reference for every mask kind, with Lq ≠ Lk and Dk ≠ Dv", arguments: KernelPath.supported,
        MaskKind.allCases)
    func matchesReference(path: KernelPath, kind: MaskKind) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 100 + UInt64(kind.rawValue.count))
            for (lq, lk, dk, dv) in [(5, 5, 8, 8), (3, 7, 16, 5), (7, 3, 4, 9)] {
                let q: Tensor<Float> = factory.randn([2, 3, lq, dk])
                let k: Tensor<Float> = factory.randn([2, 3, lk, dk], .transposed)
                let v: Tensor<Float> = factory.randn([2, 3, lk, dv], .strided)
                let mask = Self.mask(kind, b: 2, lq: lq, lk: lk, factory: &factory)
                try expectAttentionMatchesReference(q, k, v, mask: mask, "\(kind) Lq=\(lq) Lk=\(lk) Dk=\(dk) Dv=\(dv)")
            }
        }
    }

    @Test("batch dimensions broadcast and an explicit scale is used", arguments: KernelPath.supported)
    func broadcastAndScale(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 120)
            let q: Tensor<Float> = factory.randn([2, 1, 4, 8])
            let k: Tensor<Float> = factory.randn([1, 3, 6, 8], .expanded)
            let v: Tensor<Float> = factory.randn([3, 6, 5])
            try expectAttentionMatchesReference(q, k, v, scale: 0.3, "broadcast")
        }
    }

    @Test(
        "a query row whose keys are all masked gives zero weights and zero output, never NaN",
        arguments: KernelPath.supported)
    func fullyMaskedRowsAreZero(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 130)
            let q: Tensor<Float> = factory.randn([1, 2, 3, 4])
            let k: Tensor<Float> = factory.randn([1, 2, 3, 4])
            let v: Tensor<Float> = factory.randn([1, 2, 3, 4])
            // Row 1 may attend nothing.
            let mask = try BoolTensor(
                shape: [3, 3], elements: [true, true, false, false, false, false, true, false, true])
            let result = try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: .mayAttend(mask), returnWeights: true)
            let weights = result.weights!
            let output = result.output
            for h in 0..<2 {
                for j in 0..<3 { #expect(weights[0, h, 1, j] == 0) }
                for d in 0..<4 { #expect(output[0, h, 1, d] == 0) }
            }
            #expect(output.scalars.allSatisfy { !$0.isNaN })
            let exact = try Reference.scaledDotProductAttention(
                queries: q.reference, keys: k.reference, values: v.reference,
                mask: AttentionMask<Float>.mayAttend(mask).reference(Double.self))
            #expect(!exact.output.values.contains { $0.isNaN })
            try expectAttentionMatchesReference(q, k, v, mask: .mayAttend(mask))
        }
    }

    @Test("causal masking is top-left aligned when Lq ≠ Lk: query i sees keys 0…i", arguments: KernelPath.supported)
    func causalTopLeft(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 140)
            for (lq, lk) in [(3, 6), (6, 3)] {
                let q: Tensor<Float> = factory.randn([lq, 4])
                let k: Tensor<Float> = factory.randn([lk, 4])
                let v: Tensor<Float> = factory.randn([lk, 2])
                let w = try scaledDotProductAttention(
                    queries: q, keys: k, values: v, mask: .causal, returnWeights: true
                )
                .weights!
                for i in 0..<lq {
                    for j in 0..<lk { #expect((w[i, j] == 0) == (j > i), "Lq=\(lq) Lk=\(lk) i=\(i) j=\(j)") }
                }
            }
        }
    }

    @Test("a key-padding mask equals the mayAttend mask that forbids the same keys", arguments: KernelPath.supported)
    func keyPaddingEqualsMayAttend(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 150)
            let q: Tensor<Float> = factory.randn([2, 2, 3, 4])
            let k: Tensor<Float> = factory.randn([2, 2, 5, 4])
            let v: Tensor<Float> = factory.randn([2, 2, 5, 3])
            let pad = try BoolTensor(
                shape: [2, 5], elements: [false, false, false, true, true, false, true, false, false, false])
            let allow = try BoolTensor(shape: [2, 1, 1, 5], elements: pad.elements.map { !$0 })
            let a = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .keyPadding(pad)).output
            let b = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allow)).output
            #expect(a == b)
        }
    }

    @Test(
        "an additive -inf mask equals the boolean mask; -1e9 is not a mask (uniform weights over a fully -1e9 row)",
        arguments: KernelPath.supported)
    func additiveConventions(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 160)
            let q: Tensor<Float> = factory.randn([2, 4])
            let k: Tensor<Float> = factory.randn([3, 4])
            let v: Tensor<Float> = factory.randn([3, 2])
            let allow = try BoolTensor(shape: [2, 3], elements: [true, false, true, false, false, false])
            let additive = try Tensor<Float>(shape: [2, 3], scalars: allow.elements.map { $0 ? 0 : -.infinity })
            let a = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .additive(additive)).output
            let b = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allow)).output
            #expect(a == b)
            let big = try Tensor<Float>(shape: [2, 3], scalars: [0, 0, 0, -1e9, -1e9, -1e9])
            let w = try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: .additive(big), returnWeights: true
            )
            .weights!
            // Seed 002's convention: a row of -1e9 offsets still averages its keys. Shifts cancel in
            // the softmax up to the rounding of s − 1e9, so the row is near-uniform, not zero.
            #expect(w.scalars[3...].allSatisfy { $0 > 0 })
        }
    }

    @Test("dropout: draws replay from the seed; p = 0 and inference are identical", arguments: KernelPath.supported)
    func dropoutIsSeeded(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 170)
            let q: Tensor<Float> = factory.randn([2, 3, 4])
            let k: Tensor<Float> = factory.randn([2, 5, 4])
            let v: Tensor<Float> = factory.randn([2, 5, 3])
            var dropout: AttentionDropout? = AttentionDropout(probability: 0.25, generator: SeededGenerator(seed: 9))
            let trained = try scaledDotProductAttention(
                queries: q, keys: k, values: v, dropout: &dropout, returnWeights: true)
            // Replay the documented draw order (row-major over [..., Lq, Lk], kept iff u ≥ p) in the reference.
            var replay = SeededGenerator(seed: 9)
            let factors = (0..<(2 * 3 * 5)).map { _ in replay.nextUnit() >= 0.25 ? 1 / 0.75 : 0.0 }
            let exact = try Reference.scaledDotProductAttention(
                queries: q.reference, keys: k.reference, values: v.reference,
                dropoutFactors: ReferenceArray(shape: [2, 3, 5], values: factors))
            let bound = try Propagation.worstCase.attention(
                queries: q.reference, keys: k.reference, values: v.reference, scale: 0.5, mask: .none)
            expectWithinBound(
                trained.weights!, exact.weights,
                bound: bound.weights.error.enumerated().map { $1 * 2 + factors[$0] * 1e-7 }
            )
            #expect(dropout?.generator.next() == replay.next())  // the generator advanced by exactly the draws
            var zero: AttentionDropout? = AttentionDropout(probability: 0, generator: SeededGenerator(seed: 1))
            #expect(
                try scaledDotProductAttention(queries: q, keys: k, values: v, dropout: &zero).output
                    == scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: .materialized).output)
        }
    }

    @Test(
        "seed 002's shapes: (10, 20, 128) split into 8 heads gives weights (10, 8, 20, 20)",
        arguments: KernelPath.supported)
    func seed002Shapes(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 180)
            let x: Tensor<Float> = factory.randn([10, 20, 128])
            let heads = try x.view([10, 20, 8, 16]).transposed(1, 2)  // [10, 8, 20, 16]
            let result = try scaledDotProductAttention(queries: heads, keys: heads, values: heads, returnWeights: true)
            #expect(result.weights?.shape == [10, 8, 20, 20])
            #expect(result.output.shape == [10, 8, 20, 16])
            try expectAttentionMatchesReference(
                try heads.narrowed(0, start: 0, length: 2), try heads.narrowed(0, start: 0, length: 2),
                try heads.narrowed(0, start: 0, length: 2))
        }
    }

    @Test(
        "the plan: QKᵀ and P·V are batched sgemm calls, K passed with transB, no copies",
        arguments: KernelPath.supported)
    func planHasNoCopies(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let layout = TensorLayout(contiguous: [2, 8, 512, 64])
            let plan = try scaledDotProductAttentionPlan(
                queries: layout, keys: layout, values: layout, mask: AttentionMask<Float>.causal)
            #expect(plan.copies.isEmpty)
            #expect(plan.gemmCalls.count == 2)
            let qk = plan.gemmCalls[0]
            let pv = plan.gemmCalls[1]
            #expect(qk.transB && !qk.transA && qk.batchCount == 16 && qk.m == 512 && qk.n == 512 && qk.k == 64)
            #expect(Swift.abs(qk.alpha - 0.125) < 1e-12)
            #expect(!pv.transA && !pv.transB && pv.k == 512 && pv.n == 64)
            #expect(plan.intermediates.first?.shape == [2, 8, 512, 512])
            #expect(plan.outputShape == [2, 8, 512, 64])
        }
    }

    @Test("shape errors name the tensors and the rule")
    func shapeErrors() throws {
        let q = Tensor<Float>(shape: [2, 5, 8])
        let k = Tensor<Float>(shape: [2, 6, 4])
        let v = Tensor<Float>(shape: [2, 7, 3])
        let e1 = #expect(throws: TensorError.self) { try scaledDotProductAttention(queries: q, keys: k, values: v) }
        #expect(e1?.message.contains("feature size Dk") == true)
        let e2 = #expect(throws: TensorError.self) {
            try scaledDotProductAttention(queries: q, keys: Tensor(shape: [2, 6, 8]), values: v)
        }
        #expect(e2?.message.contains("same length Lk") == true)
        let e3 = #expect(throws: TensorError.self) {
            try scaledDotProductAttention(
                queries: q, keys: Tensor(shape: [2, 6, 8]), values: Tensor(shape: [2, 6, 3]),
                mask: .keyPadding(BoolTensor(shape: [2, 5], repeating: false)))
        }
        #expect(e3?.message.contains("keyPadding mask must be [B, Lk] = [2, 6]") == true)
        let e4 = #expect(throws: TensorError.self) {
            try scaledDotProductAttention(
                queries: Tensor<Float>(shape: [2, 4, 10, 8]), keys: Tensor(shape: [3, 4, 10, 8]),
                values: Tensor(shape: [3, 4, 10, 5]))
        }
        #expect(
            e4?.message.contains(
                "batch dimensions of queries [2, 4, 10, 8], keys [3, 4, 10, 8] and values [3, 4, 10, 5]") == true)
    }
}
