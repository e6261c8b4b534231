import Attend
import AttendReference
import AttendVerification
import Testing

/// A convolution configuration for the parameterized grids.
struct ConvolutionCase: CustomTestStringConvertible, Sendable {
    var input: [Int]  // [B, C, H, W]
    var kernel: (Int, Int)
    var stride: (Int, Int)
    var padding: (Int, Int)
    var outChannels: Int

    var testDescription: String { "input \(input) kernel \(kernel) stride \(stride) padding \(padding)" }
}

/// Exact comparison for ops that only move values (im2col, patchify): every element must equal
/// the reference's.
func expectSameValues<T: TensorScalar>(
    _ actual: Tensor<T>, _ expected: ReferenceArray<Double>, _ context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectWithinBound(
        actual, expected, bound: Array(repeating: 0, count: expected.count), context, sourceLocation: sourceLocation)
}

@Suite("Convolution by unfolding: conv1d, im2col, conv2d, ViT patches")
struct ConvolutionTests {
    static let seedSignal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    static let seedKernel = Tensor<Float>([0.5, 1, 0.5])

    static let grid: [ConvolutionCase] = [
        ConvolutionCase(input: [2, 3, 6, 7], kernel: (3, 3), stride: (1, 1), padding: (0, 0), outChannels: 4),
        ConvolutionCase(input: [1, 2, 5, 5], kernel: (3, 3), stride: (1, 1), padding: (1, 1), outChannels: 3),
        ConvolutionCase(input: [2, 3, 7, 6], kernel: (2, 3), stride: (2, 2), padding: (0, 1), outChannels: 5),
        ConvolutionCase(input: [2, 1, 8, 9], kernel: (3, 2), stride: (2, 1), padding: (1, 2), outChannels: 2),
        ConvolutionCase(input: [1, 4, 4, 4], kernel: (1, 1), stride: (1, 1), padding: (0, 0), outChannels: 3),
        ConvolutionCase(input: [3, 2, 8, 8], kernel: (4, 4), stride: (4, 4), padding: (0, 0), outChannels: 6),
    ]

    // MARK: - 1-D

    @Test("seed 000 Problem 3: signal 10…100 with kernel [0.5, 1, 0.5] gives the printed [40, 60, …, 180]")
    func seedConvolution() throws {
        expectValues(
            try correlate(signal: Self.seedSignal, kernel: Self.seedKernel), shape: [8],
            [40, 60, 80, 100, 120, 140, 160, 180])
        expectValues(
            try correlate(signal: Self.seedSignal, kernel: Self.seedKernel, stride: 3), shape: [3], [40, 100, 160])
    }

    @Test(
        "the seed's windows: unfold(0, 3, 1) has strides (1, 1) and is copied once for BLAS; unfold(0, 3, 3) has strides (3, 1) and is not"
    )
    func seedWindowsAndPlans() throws {
        #expect(try Self.seedSignal.unfolded(0, size: 3, step: 1).strides == [1, 1])
        #expect(try Self.seedSignal.unfolded(0, size: 3, step: 3).strides == [3, 1])
        let overlapping = try correlatePlan(
            signal: Self.seedSignal.layout, kernel: Self.seedKernel.layout, stride: 1, scalar: Float.self)
        #expect(overlapping.intermediates.first?.shape == [8, 3])
        #expect(overlapping.copies.map(\.operand) == ["windows"])
        #expect(overlapping.copiedBytes == 8 * 3 * 4)
        #expect(overlapping.gemmCalls.count == 1)
        let disjoint = try correlatePlan(
            signal: Self.seedSignal.layout, kernel: Self.seedKernel.layout, stride: 3, scalar: Float.self)
        #expect(disjoint.copies.isEmpty)
        let call = try #require(disjoint.gemmCalls.first)
        #expect((call.m, call.k, call.lda) == (3, 3, 3))  // three windows of 3, rows 3 apart
    }

    @Test(
        "1-D signals of any layout match Reference.correlate(signal:kernel:stride:)",
        arguments: [Layout.contiguous, .strided, .expanded])
    func randomSignals(layout: Layout) throws {
        var factory = TensorFactory(seed: 50 &+ UInt64(layout.rawValue.count))
        for (n, k, stride) in [(13, 4, 2), (20, 5, 1), (9, 9, 1), (31, 3, 4), (7, 1, 1)] {
            let signal: Tensor<Float> = factory.randn([n], layout)
            let kernel: Tensor<Float> = factory.randn([k])
            let exact = try Reference.correlate(signal: signal.reference, kernel: kernel.reference, stride: stride)
            let magnitudes = try Reference.correlate(
                signal: signal.reference.magnitudes, kernel: kernel.reference.magnitudes, stride: stride)
            expectWithinBound(
                try correlate(signal: signal, kernel: kernel, stride: stride), exact,
                bound: ErrorBounds.float.dotProduct(absProduct: magnitudes.values, exact: exact.values, k: k),
                "N \(n) K \(k) stride \(stride)")
        }
    }

    @Test(
        "batched multi-channel conv1d with bias, stride and padding matches Reference.conv1d",
        arguments: Layout.allCases)
    func multiChannel(layout: Layout) throws {
        var factory = TensorFactory(seed: 60 &+ UInt64(layout.rawValue.count))
        for (input, weight, stride, padding) in [
            ([2, 3, 11], [4, 3, 3], 1, 0), ([1, 2, 9], [3, 2, 4], 2, 1), ([3, 1, 5], [2, 1, 5], 1, 2),
        ] {
            let x: Tensor<Float> = factory.randn(input, layout)
            let w: Tensor<Float> = factory.randn(weight, layout)
            let bias: Tensor<Float> = factory.randn([weight[0]])
            let exact = try Reference.conv1d(
                x.reference, weight: w.reference, bias: bias.reference, stride: stride, padding: padding)
            let magnitudes = try Reference.conv1d(
                x.reference.magnitudes, weight: w.reference.magnitudes, bias: bias.reference.magnitudes, stride: stride,
                padding: padding)
            let k = weight[1] * weight[2] + 1
            expectWithinBound(
                try conv1d(x, weight: w, bias: bias, stride: stride, padding: padding), exact,
                bound: ErrorBounds.float.dotProduct(absProduct: magnitudes.values, exact: exact.values, k: k),
                "\(input) \(weight)")
        }
    }

    @Test("the conv1d plan shows the im2col copy [B, C·K, Lout] with its bytes and one GEMM per batch element")
    func multiChannelPlan() throws {
        let plan = try conv1dPlan(
            input: TensorLayout(contiguous: [2, 3, 11]), weight: TensorLayout(contiguous: [4, 3, 3]), stride: 1,
            padding: 0, scalar: Float.self)
        #expect(plan.outputShape == [2, 4, 9])
        #expect(plan.copies.map(\.operand) == ["im2col columns"])
        #expect(plan.copiedBytes == 2 * 9 * 9 * 4)
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount) == (4, 9, 9, 2))
    }

    // MARK: - im2col

    @Test(
        "im2col has exactly F.unfold's layout [B, C·kh·kw, L]", arguments: grid,
        [Layout.contiguous, .permuted, .strided])
    func im2colMatchesReference(_ c: ConvolutionCase, layout: Layout) throws {
        var factory = TensorFactory(seed: 70)
        let x: Tensor<Float> = factory.randn(c.input, layout)
        let exact = try Reference.im2col(x.reference, kernel: c.kernel, stride: c.stride, padding: c.padding)
        expectSameValues(try im2col(x, kernel: c.kernel, stride: c.stride, padding: c.padding), exact, "\(layout)")
    }

    @Test(
        "without padding im2col is a strided view copied once; with padding the input is padded first (two copies, both with bytes)"
    )
    func im2colPlans() throws {
        let input = TensorLayout(contiguous: [2, 3, 6, 7])
        let plain = try im2colPlan(input, kernel: (3, 3), scalar: Float.self)
        #expect(plain.outputShape == [2, 27, 4 * 5])
        #expect(plain.copies.map(\.operand) == ["im2col columns"])
        #expect(plain.copiedBytes == 2 * 27 * 20 * 4)
        let padded = try im2colPlan(input, kernel: (3, 3), padding: (1, 1), scalar: Float.self)
        #expect(padded.copies.map(\.operand) == ["input", "im2col columns"])
        #expect(padded.copies.map(\.bytes) == [2 * 3 * 8 * 9 * 4, 2 * 27 * 6 * 7 * 4])
    }

    @Test("a 1×1 kernel with stride 1 is im2col without any copy: the result shares the input's buffer")
    func pointwiseIm2colIsAView() throws {
        var factory = TensorFactory(seed: 71)
        let x: Tensor<Float> = factory.randn([2, 3, 4, 5])
        let columns = try im2col(x, kernel: (1, 1))
        #expect(columns.sharesStorage(with: x))
        #expect(columns.shape == [2, 3, 20])
        #expect(try im2colPlan(x.layout, kernel: (1, 1), scalar: Float.self).copies.isEmpty)
        expectSameValues(columns, try Reference.im2col(x.reference, kernel: (1, 1)))
    }

    // MARK: - conv2d

    @Test(
        "conv2d matches Reference.conv2d with bias, stride and padding", arguments: grid,
        [Layout.contiguous, .transposed, .expanded])
    func conv2dMatchesReference(_ c: ConvolutionCase, layout: Layout) throws {
        var factory = TensorFactory(seed: 80 &+ UInt64(layout.rawValue.count))
        let x: Tensor<Float> = factory.randn(c.input, layout)
        let w: Tensor<Float> = factory.randn([c.outChannels, c.input[1], c.kernel.0, c.kernel.1], layout)
        let bias: Tensor<Float> = factory.randn([c.outChannels])
        let exact = try Reference.conv2d(
            x.reference, weight: w.reference, bias: bias.reference, stride: c.stride, padding: c.padding)
        let magnitudes = try Reference.conv2d(
            x.reference.magnitudes, weight: w.reference.magnitudes, bias: bias.reference.magnitudes, stride: c.stride,
            padding: c.padding)
        let k = c.input[1] * c.kernel.0 * c.kernel.1 + 1
        expectWithinBound(
            try conv2d(x, weight: w, bias: bias, stride: c.stride, padding: c.padding), exact,
            bound: ErrorBounds.float.dotProduct(absProduct: magnitudes.values, exact: exact.values, k: k), "\(layout)")
        let noBias = try Reference.conv2d(x.reference, weight: w.reference, stride: c.stride, padding: c.padding)
        let noBiasMagnitudes = try Reference.conv2d(
            x.reference.magnitudes, weight: w.reference.magnitudes, stride: c.stride, padding: c.padding)
        expectWithinBound(
            try conv2d(x, weight: w, stride: c.stride, padding: c.padding), noBias,
            bound: ErrorBounds.float.dotProduct(absProduct: noBiasMagnitudes.values, exact: noBias.values, k: k - 1),
            "\(layout), no bias")
    }

    @Test(
        "the conv2d plan is the im2col copy (with bytes) and one GEMM per batch element: M = O, N = oh·ow, K = C·kh·kw")
    func conv2dLoweringPlan() throws {
        let plan = try conv2dPlan(
            input: TensorLayout(contiguous: [2, 3, 6, 7]), weight: TensorLayout(contiguous: [4, 3, 3, 3]),
            scalar: Float.self)
        #expect(plan.outputShape == [2, 4, 4, 5])
        #expect(plan.copies.map(\.operand) == ["im2col columns"])
        #expect(plan.copiedBytes == 2 * 27 * 20 * 4)
        #expect(plan.gemmCalls.count == 1)
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount, call.transA, call.transB) == (4, 20, 27, 2, false, false))
        #expect(plan.intermediates.map(\.shape) == [[2, 27, 20], [2, 4, 20]])
    }

    @Test("a weight whose strides cannot be flattened to [O, C·kh·kw] is copied, and the plan says so")
    func permutedWeightIsCopied() throws {
        // a [3, 3, 3, 4] buffer permuted (3, 2, 0, 1)
        let weight = TensorLayout(shape: [4, 3, 3, 3], strides: [1, 4, 36, 12])
        let plan = try conv2dPlan(input: TensorLayout(contiguous: [1, 3, 5, 5]), weight: weight, scalar: Float.self)
        #expect(plan.copies.map(\.operand) == ["im2col columns", "weight"])
        #expect(plan.copies.last?.bytes == 4 * 27 * 4)
    }

    @Test("conv2d errors name the shapes and the rule")
    func conv2dErrors() throws {
        let x = Tensor<Float>(shape: [1, 3, 5, 5])
        var error = #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor<Float>(shape: [4, 2, 3, 3])) }
        #expect(
            error?.description
                == "conv2d: input [1, 3, 5, 5] and weight [4, 2, 3, 3] must be [B, C, H, W] and [O, C, kh, kw] with the same C: input has 3 channels but weight expects 2"
        )
        error = #expect(throws: TensorError.self) {
            try conv2d(x, weight: Tensor<Float>(shape: [4, 3, 3, 3]), bias: Tensor<Float>(shape: [3]))
        }
        #expect(
            error?.description
                == "conv2d: bias has shape [3] but weight [4, 3, 3, 3] needs [4] (one per output channel)")
        error = #expect(throws: TensorError.self) { try conv2d(x, weight: Tensor<Float>(shape: [4, 3, 7, 3])) }
        #expect(
            error?.description.hasPrefix(
                "conv2d: kernel (7, 3), stride (1, 1) and padding (0, 0) do not fit input [1, 3, 5, 5]") == true)
        error = #expect(throws: TensorError.self) {
            try correlate(signal: Tensor<Float>([1, 2]), kernel: Tensor<Float>([1, 2, 3]))
        }
        #expect(
            error?.description
                == "conv1d: signal [2] and kernel [3] with stride 1 do not fit (needs a 1-D signal [N], a 1-D kernel [K] with 1 <= K <= N, and stride >= 1)"
        )
    }

    // MARK: - ViT patches

    @Test(
        "patchify gives F.unfold(x, P, stride=P).transpose(1, 2) order",
        arguments: [Layout.contiguous, .permuted, .strided])
    func patchifyMatchesReference(layout: Layout) throws {
        var factory = TensorFactory(seed: 90)
        for (shape, patch) in [([2, 3, 8, 8], 4), ([1, 2, 4, 6], 2), ([2, 1, 3, 3], 3), ([1, 3, 2, 2], 1)] {
            let image: Tensor<Float> = factory.randn(shape, layout)
            let patches = try patchify(image, patch: patch)
            expectSameValues(
                patches, try Reference.patchify(image.reference, patch: patch), "\(shape) P \(patch) \(layout)")
            // The same values as im2col with kernel = stride = P, transposed.
            let columns = try im2col(image, kernel: (patch, patch), stride: (patch, patch)).transposed(1, 2)
            #expect(patches == columns)
        }
    }

    @Test("patchify refuses an image whose sides are not multiples of P, saying which")
    func patchifyError() throws {
        let error = #expect(throws: TensorError.self) { try patchify(Tensor<Float>(shape: [1, 3, 10, 8]), patch: 4) }
        #expect(
            error?.description
                == "patchify: image [1, 3, 10, 8] cannot be cut into 4×4 patches: H = 10 and W = 8 must both be divisible by P = 4"
        )
    }

    @Test(
        "PatchEmbedding projects every patch of every image with ONE GEMM (M = B·patches, transB) after one patchify copy"
    )
    func patchEmbedding() throws {
        var factory = TensorFactory(seed: 91)
        let embedding = PatchEmbedding<Float>(channels: 3, patch: 4, embedding: 16, using: &factory.generator)
        let image: Tensor<Float> = factory.randn([2, 3, 8, 12])
        let out = try embedding(image)
        let bias = try #require(embedding.bias)
        let exact = try Reference.linear(
            Reference.patchify(image.reference, patch: 4), weight: embedding.weight.reference, bias: bias.reference)
        let magnitudes = try Reference.linear(
            Reference.patchify(image.reference.magnitudes, patch: 4), weight: embedding.weight.reference.magnitudes,
            bias: bias.reference.magnitudes)
        expectWithinBound(
            out, exact,
            bound: ErrorBounds.float.dotProduct(absProduct: magnitudes.values, exact: exact.values, k: 3 * 16 + 1))

        let plan = try embedding.plan(for: image.layout)
        #expect(plan.outputShape == [2, 6, 16])
        #expect(plan.copies.map(\.operand) == ["patches"])
        #expect(plan.copiedBytes == 2 * 6 * 48 * 4)
        #expect(plan.gemmCalls.count == 1)
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount, call.transB) == (12, 16, 48, 1, true))
    }

    @Test("PatchEmbedding checks its weight, bias and the image's channels")
    func patchEmbeddingErrors() throws {
        #expect(throws: TensorError.self) {
            try PatchEmbedding(weight: Tensor<Float>(shape: [8, 10]), bias: nil, patch: 2)
        }
        #expect(throws: TensorError.self) {
            try PatchEmbedding(weight: Tensor<Float>(shape: [8, 12]), bias: Tensor<Float>(shape: [7]), patch: 2)
        }
        let embedding = try PatchEmbedding(weight: Tensor<Float>(shape: [8, 12]), bias: nil, patch: 2)  // C = 3
        let error = #expect(throws: TensorError.self) { try embedding(Tensor<Float>(shape: [1, 2, 4, 4])) }
        #expect(
            error?.description
                == "PatchEmbedding: image [1, 2, 4, 4] has 2 channels but weight [8, 12] expects 3 (C·P·P = 12 with P = 2)"
        )
    }

    // MARK: - Fixtures

    @Test("matches the NumPy conv1d fixtures", arguments: FixtureManifest.cases.filter { $0.op == "conv1d" })
    func conv1dFixtures(_ fixture: FixtureCase) throws {
        let signal = try fixture.tensor("signal")
        let kernel = try fixture.tensor("kernel")
        let stride = try fixture.int("stride")
        let expected = try fixture.expected("out")
        let magnitudes = try Reference.correlate(
            signal: signal.reference.magnitudes, kernel: kernel.reference.magnitudes, stride: stride)
        expectWithinBound(
            try correlate(signal: signal, kernel: kernel, stride: stride), expected,
            bound: ErrorBounds.float.dotProduct(absProduct: magnitudes.values, exact: expected.values, k: kernel.count),
            fixture.name)
    }

    @Test("matches the NumPy conv2d fixtures", arguments: FixtureManifest.cases.filter { $0.op == "conv2d" })
    func conv2dFixtures(_ fixture: FixtureCase) throws {
        let x = try fixture.tensor("input")
        let w = try fixture.tensor("weight")
        let bias = try fixture.tensor("bias")
        let (stride, padding) = (try fixture.pair("stride"), try fixture.pair("padding"))
        let expected = try fixture.expected("out")
        let magnitudes = try Reference.conv2d(
            x.reference.magnitudes, weight: w.reference.magnitudes, bias: bias.reference.magnitudes, stride: stride,
            padding: padding)
        expectWithinBound(
            try conv2d(x, weight: w, bias: bias, stride: stride, padding: padding), expected,
            bound: ErrorBounds.float.dotProduct(
                absProduct: magnitudes.values, exact: expected.values, k: w.count / w.shape[0] + 1), fixture.name)
    }

    @Test("matches the NumPy im2col fixtures exactly", arguments: FixtureManifest.cases.filter { $0.op == "im2col" })
    func im2colFixtures(_ fixture: FixtureCase) throws {
        let x = try fixture.tensor("input")
        let result = try im2col(
            x, kernel: try fixture.pair("kernel"), stride: try fixture.pair("stride"),
            padding: try fixture.pair("padding"))
        expectSameValues(result, try fixture.expected("out"), fixture.name)
    }

    @Test(
        "matches the NumPy patchify fixtures exactly", arguments: FixtureManifest.cases.filter { $0.op == "patchify" })
    func patchifyFixtures(_ fixture: FixtureCase) throws {
        expectSameValues(
            try patchify(try fixture.tensor("image"), patch: try fixture.int("patch")), try fixture.expected("out"),
            fixture.name)
    }

    @Test("the convolution fixtures are present")
    func fixturesPresent() {
        #expect(FixtureManifest.cases.filter { $0.op == "conv1d" }.count == 3)
        #expect(FixtureManifest.cases.filter { $0.op == "conv2d" }.count == 2)
        #expect(FixtureManifest.cases.filter { $0.op == "im2col" }.count == 2)
        #expect(FixtureManifest.cases.filter { $0.op == "patchify" }.count == 2)
    }
}
