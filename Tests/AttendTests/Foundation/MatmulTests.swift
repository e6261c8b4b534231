import Attend
import AttendReference
import AttendVerification
import Testing

@Suite("Batched matmul over BLAS")
struct MatmulTests {
    /// Checks matmul(a, b) against the reference within the dot-product bound.
    func expectMatmulMatchesReference<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>, _ context: String) throws {
        let result = try matmul(a, b)
        let exact = try Reference.matmul(a.reference, b.reference)
        let absProduct = try Reference.matmul(a.reference.magnitudes, b.reference.magnitudes)
        let k = a.shape.last!
        expectWithinBound(
            result, exact,
            bound: ErrorBounds(T.self).dotProduct(absProduct: absProduct.values, exact: exact.values, k: k), context)
    }

    @Test("matches the reference on random shapes in every operand layout", arguments: Layout.allCases)
    func randomShapes(layout: Layout) throws {
        var factory = TensorFactory(seed: 7 &+ UInt64(layout.rawValue.count))
        for _ in 0..<12 {
            let batch = factory.shape(rank: Int.random(in: 0...2, using: &factory.generator), sizes: 1...3)
            let (m, k, n) = (
                Int.random(in: 1...9, using: &factory.generator), Int.random(in: 1...40, using: &factory.generator),
                Int.random(in: 1...9, using: &factory.generator)
            )
            let a: Tensor<Float> = factory.randn(batch + [m, k], layout)
            let b: Tensor<Float> = factory.randn(batch + [k, n], layout)
            try expectMatmulMatchesReference(a, b, "\(layout) \(a.shape)·\(b.shape)")
        }
    }

    @Test("Double operands lower onto dgemm and meet the Double bound")
    func doublePrecision() throws {
        var factory = TensorFactory(seed: 99)
        let a: Tensor<Double> = factory.randn([3, 7, 50], .transposed, as: Double.self)
        let b: Tensor<Double> = factory.randn([3, 50, 5], .contiguous, as: Double.self)
        try expectMatmulMatchesReference(a, b, "double")
        #expect(try matmulPlan(a, b).gemmCalls.first?.routine == "cblas_dgemm")
    }

    @Test("batch dimensions broadcast, and 1-D operands follow torch.matmul")
    func broadcastingAndVectors() throws {
        var factory = TensorFactory(seed: 3)
        let cases: [([Int], [Int])] = [
            ([2, 1, 4, 5], [3, 5, 6]), ([4, 5], [2, 5, 3]), ([5], [5]), ([5], [2, 5, 3]), ([2, 3, 5], [5]),
            ([1, 5], [5, 1]),
        ]
        for (sa, sb) in cases {
            let a: Tensor<Float> = factory.randn(sa)
            let b: Tensor<Float> = factory.randn(sb)
            try expectMatmulMatchesReference(a, b, "\(sa)·\(sb)")
        }
    }

    @Test("non-contiguous operands: unfolded windows, expanded batches, stepped slices")
    func nonContiguousOperands() throws {
        var factory = TensorFactory(seed: 11)
        let signal: Tensor<Float> = factory.randn([40])
        let windows = try signal.unfolded(0, size: 5, step: 2)  // [18, 5], overlapping rows
        let kernels: Tensor<Float> = factory.randn([5, 3])
        try expectMatmulMatchesReference(windows, kernels, "unfolded")
        let shared: Tensor<Float> = factory.randn([1, 6, 7])
        try expectMatmulMatchesReference(
            try shared.expanded(to: [4, 6, 7]), factory.randn([4, 7, 2], .strided), "expanded·strided")
        let wide: Tensor<Float> = factory.randn([6, 20])
        try expectMatmulMatchesReference(try wide.sliced(1, 0..<20, step: 2), factory.randn([10, 4]), "column-stepped")
    }

    @Test("matmul(q, k.transposed(-2, -1)) passes k to sgemm with transB and copies nothing")
    func transposedKeyMakesNoCopy() throws {
        var factory = TensorFactory(seed: 5)
        let q: Tensor<Float> = factory.randn([2, 4, 10, 32])
        let k: Tensor<Float> = factory.randn([2, 4, 10, 32])
        let plan = try matmulPlan(q, k.transposed(-2, -1))
        #expect(plan.copies.isEmpty)
        #expect(plan.gemmCalls.count == 1)
        let call = try #require(plan.gemmCalls.first)
        #expect(call.routine == "cblas_sgemm")
        #expect(!call.transA && call.transB)
        #expect((call.m, call.n, call.k, call.batchCount) == (10, 10, 32, 8))
        #expect((call.lda, call.ldb, call.ldc) == (32, 32, 10))
        #expect(plan.outputShape == [2, 4, 10, 10])
    }

    @Test("a shared right operand folds the whole batch into one GEMM (x[B, L, in] · Wᵀ)")
    func sharedWeightFoldsBatch() throws {
        var factory = TensorFactory(seed: 6)
        let x: Tensor<Float> = factory.randn([4, 10, 16])
        let w: Tensor<Float> = factory.randn([8, 16])
        let plan = try matmulPlan(x, w.transposed(0, 1))
        let call = try #require(plan.gemmCalls.first)
        #expect(plan.copies.isEmpty)
        #expect((call.m, call.n, call.k, call.batchCount, call.transB) == (40, 8, 16, 1, true))
        try expectMatmulMatchesReference(x, w.transposed(0, 1), "folded")
    }

    @Test("an operand BLAS cannot read is copied, and the plan says so with its size")
    func copiesAreReported() throws {
        var factory = TensorFactory(seed: 8)
        let wide: Tensor<Float> = factory.randn([6, 20])
        let stepped = try wide.sliced(1, 0..<20, step: 2)  // [6, 10], no unit stride
        let plan = try matmulPlan(stepped, factory.randn([10, 3]) as Tensor<Float>)
        #expect(plan.copies.count == 1)
        #expect(plan.copies.first?.operand == "A")
        #expect(plan.copies.first?.bytes == 6 * 10 * 4)
    }

    @Test("mismatched inner dimensions name both shapes, like seed 003's (320x2048 and 256x256)")
    func innerDimensionError() throws {
        let a = Tensor<Float>(shape: [320, 2048])
        let b = Tensor<Float>(shape: [256, 256])
        let error = #expect(throws: TensorError.self) { try matmul(a, b) }
        #expect(
            error?.description.hasPrefix(
                "matmul: cannot multiply [320, 2048] by [256, 256]: inner dimensions 2048 and 256 differ") == true)
    }

    @Test("batch dimensions that do not broadcast are an error naming both shapes")
    func batchError() throws {
        let error = #expect(throws: TensorError.self) {
            try matmul(Tensor<Float>(shape: [2, 3, 4]), Tensor<Float>(shape: [5, 4, 3]))
        }
        #expect(error?.message.contains("[2] and [5] do not broadcast") == true)
    }

    @Test("empty dimensions give an empty or zero result without calling BLAS")
    func emptyDimensions() throws {
        let r = try matmul(Tensor<Float>(shape: [3, 0]), Tensor<Float>(shape: [0, 2]))
        #expect(r.shape == [3, 2])
        #expect(r.scalars == [0, 0, 0, 0, 0, 0])
        #expect(try matmul(Tensor<Float>(shape: [0, 4]), Tensor<Float>(shape: [4, 2])).shape == [0, 2])
    }
}
