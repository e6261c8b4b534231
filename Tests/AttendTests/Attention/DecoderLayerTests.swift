import AttendReference
import AttendVerification
import Foundation
import Testing

@testable import Attend

/// |A|·|B| for reference matrices, for first-order error bounds.
private func absProduct(_ x: ReferenceArray<Double>, _ w: ReferenceArray<Double>) throws -> ReferenceArray<Double> {
    try Reference.linear(x.magnitudes, weight: w.magnitudes)
}

@Suite("Decoder layers against the reference")
struct DecoderLayerTests {
    let u = ErrorBounds.float.u

    @Test(
        "RMSNorm matches x / √(mean(x²) + eps) · w within a few ulps, on strided input", arguments: KernelPath.supported
    )
    func rmsNorm(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1400)
            let x: Tensor<Float> = factory.randn([3, 5, 64], .strided)
            let w: Tensor<Float> = factory.randn([64])
            let y = try RMSNorm(weight: w, eps: 1e-5)(x)
            let exact = try Reference.rmsNorm(x.reference, weight: w.reference, eps: 1e-5)
            // The Double mean of squares, one rounding of the inverse root, two products: ≤ 4u·|y|.
            expectWithinBound(y, exact, bound: exact.values.map { 4 * u * Swift.abs($0) + 1e-38 }, "RMSNorm")
            #expect(throws: TensorError.self) { try RMSNorm(weight: w)(factory.randn([2, 63]) as Tensor<Float>) }
        }
    }

    @Test("SwiGLU feed-forward matches down(silu(gate·x) ⊙ up·x)", arguments: KernelPath.supported)
    func swiGLU(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1401)
            let (d, f) = (24, 40)
            let x: Tensor<Float> = factory.randn([2, 3, d])
            let g: Tensor<Float> = factory.randn([f, d])
            let up: Tensor<Float> = factory.randn([f, d])
            let down: Tensor<Float> = factory.randn([d, f])
            let layer = try SwiGLUFeedForward(
                gate: Linear(weight: g, bias: nil), up: Linear(weight: up, bias: nil),
                down: Linear(weight: down, bias: nil)
            )
            let y = try layer(x)
            let exact = try Reference.swiGLUFeedForward(
                x.reference, gate: g.reference, up: up.reference, down: down.reference)
            // |silu(z)| ≤ |z|, so |h| ≤ (|G||x|) ⊙ (|U||x|); each stage's relative error is at most γ_(D+F+4).
            let gx = try absProduct(x.reference, g.reference)
            let ux = try absProduct(x.reference, up.reference)
            let h = ReferenceArray(shape: gx.shape, values: zip(gx.values, ux.values).map(*))
            let gamma = Double(d + f + 4) * u
            let bound = try absProduct(h, down.reference).values.map { 3 * gamma * $0 }
            expectWithinBound(y, exact, bound: bound, "SwiGLU")
            #expect(throws: TensorError.self) {
                try SwiGLUFeedForward(
                    gate: Linear(weight: g, bias: nil), up: Linear(weight: up, bias: nil),
                    down: Linear(weight: g, bias: nil))
            }
        }
    }

    @Test(
        "rotary embedding matches the reference in both pairings, with a position offset",
        arguments: KernelPath.supported, RotaryEmbedding.Pairing.allCases)
    func rotary(path: KernelPath, pairing: RotaryEmbedding.Pairing) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1402)
            let x: Tensor<Float> = factory.randn([2, 3, 7, 16], .permuted)
            let rope = try RotaryEmbedding(dimension: 16, base: 100_000, pairing: pairing)
            for offset in [0, 5, 4000] {
                let y = try rope(x, positionOffset: offset)
                let exact = try Reference.rotaryEmbedding(
                    x.reference, base: 100_000, pairing: pairing == .adjacent ? .adjacent : .halfSplit,
                    positionOffset: offset)
                // cos and sin rounded to Float (u each), two products and a sum: ≤ 4u·max|x| per row.
                let rowMax = stride(from: 0, to: x.count, by: 16).flatMap { start in
                    Array(repeating: x.reference.values[start..<(start + 16)].map(Swift.abs).max()!, count: 16)
                }
                expectWithinBound(y, exact, bound: rowMax.map { 4 * u * $0 }, "RoPE \(pairing) offset \(offset)")
            }
        }
    }

    @Test(
        "adjacent pairs on rows permuted as llama.cpp does equal half-split on the original rows",
        arguments: KernelPath.supported)
    func rotaryPairingsAgreeUnderPermutation(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1403)
            let d = 8
            let x: Tensor<Float> = factory.randn([5, d])
            // llama.cpp's converter: feature i of half h (i < D/2) moves to 2i + h.
            let original = x.scalars
            var permuted = [Float](repeating: 0, count: original.count)
            for row in 0..<5 {
                for i in 0..<(d / 2) {
                    for h in 0..<2 { permuted[row * d + 2 * i + h] = original[row * d + h * d / 2 + i] }
                }
            }
            let half = try RotaryEmbedding(dimension: d, pairing: .halfSplit)(x, positionOffset: 3).scalars
            let adjacent = try RotaryEmbedding(dimension: d, pairing: .adjacent)(
                Tensor(shape: [5, d], scalars: permuted), positionOffset: 3
            ).scalars
            for row in 0..<5 {
                for i in 0..<(d / 2) {
                    for h in 0..<2 {
                        #expect(adjacent[row * d + 2 * i + h] == half[row * d + h * d / 2 + i])
                    }
                }
            }
        }
    }

    @Test(
        "grouped-query attention equals each query head attending its key/value head, fused and materialized",
        arguments: KernelPath.supported, [AttentionAlgorithm.fused, .materialized])
    func groupedQuery(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1404)
            let (b, h, hkv, lq, lk, d) = (2, 6, 2, 5, 9, 16)
            let q: Tensor<Float> = factory.randn([b, h, lq, d])
            let k: Tensor<Float> = factory.randn([b, hkv, lk, d], .transposed)
            let v: Tensor<Float> = factory.randn([b, hkv, lk, d])
            for mask in [AttentionMask<Float>.none, .causalFromEnd, .causal] {
                let out = try groupedQueryAttention(queries: q, keys: k, values: v, mask: mask, algorithm: algorithm)
                let exact = try Reference.groupedQueryAttention(
                    queries: q.reference, keys: k.reference, values: v.reference, mask: mask.reference(Double.self))
                // The bound of plain attention on explicitly repeated key/value heads (a copy made only here).
                func repeated(_ t: ReferenceArray<Double>) -> ReferenceArray<Double> {
                    let per: Int = t.count / (b * hkv)
                    var values: [Double] = []
                    for i in 0..<b {
                        for head in 0..<h {
                            let source: Int = i * hkv + head / (h / hkv)
                            values += t.values[(source * per)..<((source + 1) * per)]
                        }
                    }
                    return ReferenceArray(shape: [b, h] + Array(t.shape.suffix(2)), values: values)
                }
                let plain = try Reference.scaledDotProductAttention(
                    queries: q.reference, keys: repeated(k.reference), values: repeated(v.reference),
                    mask: mask.reference(Double.self))
                #expect(plain.output == exact)
                let bound = try Propagation.worstCase.attention(
                    queries: q.reference, keys: repeated(k.reference), values: repeated(v.reference),
                    scale: 1 / Double(d).squareRoot(), mask: mask, fused: algorithm == .fused)
                expectWithinBound(out, exact, bound: bound.output.error, "GQA \(mask.summary) \(algorithm)")
            }
            #expect(throws: TensorError.self) {
                try groupedQueryAttention(
                    queries: factory.randn([1, 5, 2, 4]) as Tensor<Float>, keys: factory.randn([1, 2, 3, 4]),
                    values: factory.randn([1, 2, 3, 4]))
            }
        }
    }
}

@Suite("Causal masks aligned at the top-left and at the bottom-right")
struct CausalAlignmentTests {
    @Test(
        "both alignments match the reference with Lq < Lk and Lq > Lk, fused across key blocks and materialized",
        arguments: KernelPath.supported, [AttentionAlgorithm.fused, .materialized])
    func againstReference(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1410)
            for (lq, lk) in [(1, 300), (7, 13), (40, 300), (13, 7), (300, 300)] {
                let q: Tensor<Float> = factory.randn([1, 2, lq, 8])
                let k: Tensor<Float> = factory.randn([1, 2, lk, 8])
                let v: Tensor<Float> = factory.randn([1, 2, lk, 4])
                for mask in [AttentionMask<Float>.causal, .causalFromEnd] {
                    try expectAttentionMatchesReference(
                        q, k, v, mask: mask, algorithm: algorithm, "\(mask.summary) Lq=\(lq) Lk=\(lk)")
                }
            }
        }
    }

    @Test(
        "bottom-right: query i sees keys ≤ Lk − Lq + i, the same as an explicit tril(diagonal: Lk − Lq) mask",
        arguments: KernelPath.supported)
    func explicitMask(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1411)
            for (lq, lk) in [(3, 10), (1, 260), (10, 3)] {
                let q: Tensor<Float> = factory.randn([2, lq, 8])
                let k: Tensor<Float> = factory.randn([2, lk, 8])
                let v: Tensor<Float> = factory.randn([2, lk, 5])
                let allowed = try BoolTensor(
                    shape: [lq, lk], elements: (0..<(lq * lk)).map { $0 % lk <= lk - lq + $0 / lk })
                for algorithm in [AttentionAlgorithm.fused, .materialized] {
                    let a = try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: .causalFromEnd, algorithm: algorithm
                    ).output
                    let b = try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: .mayAttend(allowed), algorithm: algorithm
                    ).output
                    #expect(a.scalars == b.scalars, "Lq=\(lq) Lk=\(lk) \(algorithm)")
                }
            }
        }
    }

    @Test(
        "a single query continuing a history sees every key; with Lq = Lk both alignments agree",
        arguments: KernelPath.supported)
    func specialCases(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1412)
            let q: Tensor<Float> = factory.randn([1, 1, 8])
            let k: Tensor<Float> = factory.randn([1, 20, 8])
            let v: Tensor<Float> = factory.randn([1, 20, 3])
            let fromEnd = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causalFromEnd).output
                .scalars
            let unmasked = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .none).output.scalars
            #expect(fromEnd == unmasked)
            let top = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal).output.scalars
            let firstValue = try v.narrowed(1, start: 0, length: 1).scalars
            #expect(top == firstValue)  // top-left: query 0 sees key 0 only
            let sq: Tensor<Float> = factory.randn([2, 9, 8])
            let sk: Tensor<Float> = factory.randn([2, 9, 8])
            let a = try scaledDotProductAttention(queries: sq, keys: sk, values: sk, mask: .causalFromEnd).output
                .scalars
            let b = try scaledDotProductAttention(queries: sq, keys: sk, values: sk, mask: .causal).output.scalars
            #expect(a == b)
        }
    }
}

@Suite("Key/value cache")
struct KVCacheTests {
    @Test(
        "appending in chunks equals the concatenation, in place in one preallocated buffer",
        arguments: KernelPath.supported)
    func appendInPlace(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1420)
            var cache = KVCache<Float>(batch: 1, heads: 3, capacity: 10, keyDimension: 4, valueDimension: 2)
            let buffer = ObjectIdentifier(cache.keyBuffer.storage)
            let k1: Tensor<Float> = factory.randn([1, 3, 6, 4], .permuted)
            let v1: Tensor<Float> = factory.randn([1, 3, 6, 2])
            let k2: Tensor<Float> = factory.randn([1, 3, 1, 4])
            let v2: Tensor<Float> = factory.randn([1, 3, 1, 2])
            try cache.append(keys: k1, values: v1)
            try cache.append(keys: k2, values: v2)
            #expect(cache.length == 7)
            #expect(ObjectIdentifier(cache.keyBuffer.storage) == buffer)  // no reallocation, no copy
            #expect(cache.keys.sharesStorage(with: cache.keyBuffer))  // the view reads the buffer
            #expect(cache.keys.shape == [1, 3, 7, 4] && cache.values.shape == [1, 3, 7, 2])
            #expect(try cache.keys.scalars == Tensor.concatenated([k1, k2], dim: 2).scalars)
            #expect(try cache.values.scalars == Tensor.concatenated([v1, v2], dim: 2).scalars)
            #expect(throws: TensorError.self) {
                try cache.append(keys: factory.randn([1, 3, 4, 4]), values: factory.randn([1, 3, 4, 2]))
            }
            #expect(throws: TensorError.self) {
                try cache.append(keys: factory.randn([1, 2, 1, 4]), values: factory.randn([1, 2, 1, 2]))
            }
        }
    }

    @Test(
        "attention of each new query against the cache equals attention over the whole sequence",
        arguments: KernelPath.supported)
    func incrementalEqualsFull(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 1421)
            let (h, hkv, l, d) = (4, 2, 12, 8)
            let q: Tensor<Float> = factory.randn([1, h, l, d])
            let k: Tensor<Float> = factory.randn([1, hkv, l, d])
            let v: Tensor<Float> = factory.randn([1, hkv, l, d])
            let full = try groupedQueryAttention(queries: q, keys: k, values: v, mask: .causal)
            var cache = KVCache<Float>(batch: 1, heads: hkv, capacity: l, keyDimension: d, valueDimension: d)
            try cache.append(keys: k.narrowed(2, start: 0, length: 5), values: v.narrowed(2, start: 0, length: 5))
            let prefill = try groupedQueryAttention(
                queries: q.narrowed(2, start: 0, length: 5), keys: cache.keys, values: cache.values,
                mask: .causalFromEnd)
            #expect(try prefill.scalars == full.narrowed(2, start: 0, length: 5).scalars)
            for step in 5..<l {
                try cache.append(
                    keys: k.narrowed(2, start: step, length: 1), values: v.narrowed(2, start: step, length: 1))
                let out = try groupedQueryAttention(
                    queries: q.narrowed(2, start: step, length: 1), keys: cache.keys, values: cache.values,
                    mask: .causalFromEnd)
                let expected = try full.narrowed(2, start: step, length: 1).scalars
                let worst = zip(out.scalars, expected).map { Swift.abs($0 - $1) }.max()!
                #expect(worst <= 1e-5, "step \(step): \(worst)")
            }
        }
    }
}
