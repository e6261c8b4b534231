import AttendReference
import AttendVerification
import Foundation
import Testing

@testable import Attend

/// What Attend does with hostile numbers — the behaviour the README's "Guarantees" section states.
@Suite("Hostile numbers")
struct HostileNumberTests {
    static let shape = [2, 3, 8, 16]  // [B, H, L, D]

    private func inputs(seed: UInt64 = 31) -> (q: Tensor<Float>, k: Tensor<Float>, v: Tensor<Float>) {
        var generator = SeededGenerator(seed: seed)
        return (
            .randn(Self.shape, using: &generator), .randn(Self.shape, using: &generator),
            .randn(Self.shape, using: &generator)
        )
    }

    @Test(
        "an additive +∞ on a key that a causal or boolean term excludes leaves the key excluded (no ∞ − ∞), whatever the terms' order",
        arguments: KernelPath.supported, AttentionAlgorithm.allCases)
    func additiveInfinityOnExcludedKeys(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 41)
            // Lq = 40: two query blocks, several rows per tile, so the kernel's tile epilogue masks.
            let (lq, lk) = (40, 150)
            let q: Tensor<Float> = factory.randn([2, 2, lq, 16])
            let k: Tensor<Float> = factory.randn([2, 2, lk, 16])
            let v: Tensor<Float> = factory.randn([2, 2, lk, 8])
            // +∞ where causal excludes the key (j > i) or the boolean mask does (j % 7 == 3); small
            // finite values elsewhere.
            let allowed = try BoolTensor(shape: [lq, lk], elements: (0..<(lq * lk)).map { $0 % lk % 7 != 3 })
            let bias = try Tensor<Float>(
                shape: [lq, lk],
                scalars: (0..<(lq * lk)).map { n in
                    let (i, j) = (n / lk, n % lk)
                    return j > i || j % 7 == 3 ? .infinity : Float(j % 5) * 0.1
                })
            for mask: AttentionMask<Float> in [
                .all([.causal, .mayAttend(allowed), .additive(bias)]),
                .all([.additive(bias), .causal, .mayAttend(allowed)]),
            ] {
                let out = try scaledDotProductAttention(
                    queries: q, keys: k, values: v, mask: mask, algorithm: algorithm
                ).output
                #expect(!out.scalars.contains { $0.isNaN }, "\(path) \(algorithm) \(mask.summary)")
                try expectAttentionMatchesReference(
                    q, k, v, mask: mask, algorithm: algorithm, "\(path) \(algorithm) \(mask.summary)")
            }
        }
    }

    /// The output rows `[b, h, i, :]` as bit patterns.
    private func row(_ out: Tensor<Float>, _ b: Int, _ h: Int, _ i: Int) -> [UInt32] {
        (0..<out.shape[3]).map { out[b, h, i, $0].bitPattern }
    }

    // MARK: NaN and infinity

    @Test(
        "a NaN or ±Inf in one query poisons only that query's output row", arguments: AttentionAlgorithm.allCases,
        [Float.nan, .infinity, -.infinity])
    func poisonedQuery(algorithm: AttentionAlgorithm, value: Float) throws {
        for path in KernelPath.supported {
            try KernelPath.withKernels(path) {
                let (q, k, v) = inputs()
                let clean = try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: algorithm).output
                let dirty = try scaledDotProductAttention(
                    queries: poked(q, [1, 2, 5, 3], value), keys: k, values: v, algorithm: algorithm
                ).output
                for b in 0..<2 {
                    for h in 0..<3 {
                        for i in 0..<8 {
                            if (b, h, i) == (1, 2, 5) {
                                // IEEE: a NaN score, or ±Inf ones whose max-subtraction gives Inf − Inf, is NaN.
                                #expect((0..<16).allSatisfy { dirty[b, h, i, $0].isNaN }, "row [1, 2, 5] with \(value)")
                            } else {
                                #expect(row(dirty, b, h, i) == row(clean, b, h, i), "row [\(b), \(h), \(i)] changed")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "a NaN in one key or value poisons only its own (batch, head)", arguments: AttentionAlgorithm.allCases,
        [false, true])
    func poisonedKeyOrValue(algorithm: AttentionAlgorithm, inValue: Bool) throws {
        for path in KernelPath.supported {
            try KernelPath.withKernels(path) {
                let (q, k, v) = inputs()
                let clean = try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: algorithm).output
                let dirty = try scaledDotProductAttention(
                    queries: q, keys: inValue ? k : poked(k, [0, 1, 4, 7], .nan),
                    values: inValue ? poked(v, [0, 1, 4, 7], .nan) : v,
                    algorithm: algorithm
                ).output
                for b in 0..<2 {
                    for h in 0..<3 {
                        for i in 0..<8 {
                            if (b, h) == (0, 1) {
                                let poisoned = (0..<16).filter { dirty[b, h, i, $0].isNaN }
                                // A NaN key poisons every score of its head; a NaN value only its own feature.
                                #expect(poisoned == (inValue ? [7] : Array(0..<16)), "[0, 1, \(i)]")
                            } else {
                                #expect(row(dirty, b, h, i) == row(clean, b, h, i), "row [\(b), \(h), \(i)] changed")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "a NaN in one batch entry of multi-head attention leaves the other entries bitwise unchanged",
        arguments: KernelPath.supported)
    func poisonedBatchEntry(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 4)
            let mha = try MultiHeadAttention<Float>(embedDim: 16, numHeads: 4, using: &generator)
            let layer = try TransformerEncoderLayer<Float>(
                embedDim: 16, numHeads: 4, feedForwardDim: 32, using: &generator)
            let x = Tensor<Float>.randn([3, 6, 16], using: &generator)
            let dirtyX = try poked(x, [1, 2, 9], .nan)
            for (clean, dirty) in [
                (try mha(query: x, key: x, value: x).output, try mha(query: dirtyX, key: dirtyX, value: dirtyX).output),
                (try layer(x), try layer(dirtyX)),
            ] {
                for b in [0, 2] {
                    #expect(
                        (0..<6).allSatisfy { i in
                            (0..<16).allSatisfy { clean[b, i, $0].bitPattern == dirty[b, i, $0].bitPattern }
                        })
                }
                #expect(
                    (0..<6).allSatisfy { i in (0..<16).allSatisfy { dirty[1, i, $0].isNaN } },
                    "self-attention spreads the NaN over its own sequence")
            }
        }
    }

    // MARK: Huge logits

    @Test(
        "logits of ±1e30 give exact one-hot and uniform softmax rows, never NaN or Inf", arguments: KernelPath.supported
    )
    func hugeLogits(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let x = try Tensor<Float>(rows: [[1e30, 0, -1e30], [1e30, 1e30, -1e30], [-1e30, -1e30, -1e30]])
            let s = try x.softmax(dim: -1)
            #expect(s.scalars == [1, 0, 0, 0.5, 0.5, 0, Float(1) / 3, Float(1) / 3, Float(1) / 3])
            let l = try x.logSoftmax(dim: -1)
            #expect(l.scalars.allSatisfy(\.isFinite) && l[0, 0] == 0 && l[0, 2] == -2e30)
        }
    }

    @Test(
        "additive masks of -1e30 act as masks and +1e30 picks its key, in both algorithms",
        arguments: KernelPath.supported, AttentionAlgorithm.allCases)
    func hugeAdditiveMask(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 6)
            let q = Tensor<Float>(shape: [1, 1, 2, 4])  // zero scores: the mask decides
            let k = Tensor<Float>.randn([1, 1, 4, 4], using: &generator)
            let v = Tensor<Float>.randn([1, 1, 4, 4], using: &generator)
            let mask = try Tensor<Float>(shape: [2, 4], scalars: [0, -1e30, -1e30, 0, -1e30, 1e30, -1e30, 0])
            let out = try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: .additive(mask), algorithm: algorithm
            ).output
            for d in 0..<4 {
                let mean = (v[0, 0, 0, d] + v[0, 0, 3, d]) / 2
                #expect(
                    Swift.abs(out[0, 0, 0, d] - mean) <= 4 * Float.ulpOfOne * Swift.abs(mean)
                        + Float.leastNormalMagnitude)
                #expect(out[0, 0, 1, d] == v[0, 0, 1, d])
            }
        }
    }

    @Test(
        "a fully masked query row gives zeros, not NaN, in every algorithm and through MHA",
        arguments: KernelPath.supported, AttentionAlgorithm.allCases)
    func fullyMasked(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            let (q, k, v) = inputs()
            var allowed = [Bool](repeating: true, count: 8 * 8)
            for j in 0..<8 { allowed[3 * 8 + j] = false }
            let mask = try BoolTensor(shape: [8, 8], elements: allowed)
            let out = try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: .mayAttend(mask), algorithm: algorithm
            ).output
            for b in 0..<2 {
                for h in 0..<3 {
                    #expect((0..<16).allSatisfy { out[b, h, 3, $0] == 0 && out[b, h, 3, $0].sign == .plus })
                    #expect((0..<16).allSatisfy { out[b, h, 2, $0] != 0 })
                }
            }
        }
    }

    // MARK: Subnormals

    @Test(
        "subnormal inputs give results within the bound plus the smallest normal (with or without flush-to-zero)",
        arguments: KernelPath.supported, AttentionAlgorithm.allCases)
    func subnormalInputs(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 8)
            let tiny = Float.leastNormalMagnitude / 64  // 1.8e-40, subnormal
            let q = try Tensor<Float>.randn([1, 2, 5, 8], using: &generator) * Tensor(tiny)
            let k = try Tensor<Float>.randn([1, 2, 5, 8], using: &generator) * Tensor(tiny)
            let v = try Tensor<Float>.randn([1, 2, 5, 8], using: &generator) * Tensor(tiny)
            #expect(v.scalars.contains { $0 != 0 && !$0.isNormal })
            // Scores are ~1e-80: zero in Float, so the weights are uniform and the output is mean(V).
            let out = try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: algorithm).output
            let mean = try v.mean(dim: 2, keepDim: true)
            for h in 0..<2 {
                for i in 0..<5 {
                    for d in 0..<8 {
                        #expect(out[0, h, i, d].isFinite)
                        #expect(Swift.abs(out[0, h, i, d] - mean[0, h, 0, d]) <= 2 * Float.leastNormalMagnitude)
                    }
                }
            }
            // matmul: |error| ≤ γ_K·|A||B| + K·(smallest normal), as underflow is absolute.
            let a = try Tensor<Float>.randn([7, 9], using: &generator) * Tensor(Float(1e-20))
            let b = try Tensor<Float>.randn([9, 5], using: &generator) * Tensor(Float(1e-20))
            let exact = try Reference.matmul(a.reference, b.reference)
            let product = try matmul(a, b)
            for (got, want) in zip(product.scalars, exact.values) {
                #expect(
                    Swift.abs(Double(got) - want) <= 9 * Double(Float.ulpOfOne) * Swift.abs(want) + 9
                        * Double(Float.leastNormalMagnitude))
            }
        }
    }

    // MARK: Long reductions

    @Test(
        "a sum of 10⁷ floats is within u·|s| + N·2⁻⁵³·Σ|x| of the exact sum (accumulated in Double)",
        arguments: KernelPath.supported)
    func longSum(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 10)
            let n = 10_000_000
            let x = Tensor<Float>.uniform([n], low: -1, high: 3, using: &generator)
            let values = x.scalars
            // The exact sum of the Float inputs, by Kahan–Babuška–Neumaier summation in Double.
            var sum = 0.0
            var compensation = 0.0
            var absSum = 0.0
            for value in values.lazy.map(Double.init) {
                let t = sum + value
                compensation += Swift.abs(sum) >= Swift.abs(value) ? (sum - t) + value : (value - t) + sum
                sum = t
                absSum += Swift.abs(value)
            }
            let exact = sum + compensation
            let got = try x.sum().scalars[0]
            let bound = ErrorBounds.float.doubleAccumulatedSum(sum: [exact], absSum: [absSum], n: n)[0]
            #expect(Swift.abs(Double(got) - exact) <= bound, "sum \(got), exact \(exact), bound \(bound)")
            // Naive Float accumulation would be off by ~N·u·Σ|x| ≈ 6e6 here; the bound is ~0.6 + 1.2.
            #expect(bound < 4)
            let mean = try x.mean().scalars[0]
            #expect(
                Swift.abs(Double(mean) - exact / Double(n)) <= bound / Double(n) + Double(Float.ulpOfOne)
                    * Swift.abs(exact / Double(n)))
        }
    }

    // MARK: Sizes that overflow Int

    @Test("shapes whose element count overflows Int are errors, not traps")
    func overflowingShapes() throws {
        let huge = [Int.max / 2, 3]
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: huge, scalars: []) }
        let one = Tensor<Float>(shape: [1, 1], repeating: 2)
        let error = #expect(throws: TensorError.self) { try one.expanded(to: [1 << 32, 1 << 32]) }
        #expect(error?.description.contains("overflows") == true, "\(String(describing: error))")
        #expect(throws: TensorError.self) { try one.reshaped([Int.max, 2, 0, -1]) }
        #expect(throws: TensorError.self) { try one.view([1 << 40, 1 << 40]) }
        #expect(throws: FileFormatError.self) { try ArrayData(shape: [1 << 62, 8], dtype: .float32, bytes: []) }
        let npy = NPYTestBytes.header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")
        #expect(throws: FileFormatError.self) { try NPY.decode(npy, name: "huge.npy") }
        // No element, but a first contiguous stride of 2⁸⁰ (found by the gguf fuzz harness).
        #expect(throws: TensorError.self) { try Tensor<Float>(shape: [0, 1 << 40, 1 << 40], scalars: []) }
        #expect(throws: FileFormatError.self) {
            try ArrayData(shape: [1 << 40, 0, 1 << 40], dtype: .float32, bytes: [])
        }
        let empty = NPYTestBytes.header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }")
        #expect(throws: FileFormatError.self) { try NPY.decode(empty, name: "empty.npy") }
        #expect(try Tensor<Float>(shape: [0, 1 << 30, 1 << 30], scalars: []).strides == [1 << 60, 1 << 30, 1])
    }

    @Test(
        "views that fit but whose broadcast or product would not are errors, not traps", arguments: KernelPath.supported
    )
    func overflowingResults(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let one = Tensor<Float>(shape: [1, 1], repeating: 2)
            let column = try one.expanded(to: [1 << 40, 1])  // 2⁴⁰ elements, stride 0
            let row = try one.expanded(to: [1, 1 << 40])
            let sum = #expect(throws: TensorError.self) { try column + row }  // [2⁴⁰, 2⁴⁰]
            #expect(sum?.description.contains("overflows") == true, "\(String(describing: sum))")
            #expect(throws: TensorError.self) { try broadcastShapes([1 << 40, 1], [1, 1 << 40]) }
            let product = #expect(throws: TensorError.self) { try matmul(column, row) }  // [2⁴⁰, 1]·[1, 2⁴⁰]
            #expect(product?.description.hasPrefix("matmul: ") == true, "\(String(describing: product))")
            #expect(throws: TensorError.self) { try matmulPlan(column, row) }
        }
    }

    @Test(
        "views of 2⁶² elements (stride 0) index, narrow and transpose without overflow", arguments: KernelPath.supported
    )
    func hugeViews(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let base = try Tensor<Float>(shape: [1, 3], scalars: [1, 2, 3])
            let wide = try base.expanded(to: [1 << 31, 1 << 30, 3])  // 2⁶¹·3 elements, no memory
            #expect(wide.count == (1 << 61) * 3)
            #expect(wide[(1 << 31) - 1, (1 << 30) - 1, 2] == 3)
            let corner = try wide.narrowed(0, start: (1 << 31) - 2, length: 2).narrowed(
                1, start: (1 << 30) - 1, length: 1)
            #expect(corner.shape == [2, 1, 3] && corner.scalars == [1, 2, 3, 1, 2, 3])
            let t = wide.transposed(0, 2)
            #expect(t.shape == [3, 1 << 30, 1 << 31] && t[1, 5, (1 << 31) - 1] == 2)
            #expect(try wide.sliced(0, ((1 << 31) - 4)..<(1 << 31), step: 3).shape == [2, 1 << 30, 3])
        }
    }
}

/// A `.npy` file with the given header dict and no data.
enum NPYTestBytes {
    static func header(_ dict: String) -> Data {
        var text = Array(dict.utf8)
        while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
        bytes += text
        return Data(bytes)
    }
}
