import Attend
import AttendReference
import AttendVerification
import Testing

/// An equation with operand shapes, for the parameterized cross-checks.
struct EinsumCase: CustomTestStringConvertible, Sendable {
    var equation: String
    var shapes: [[Int]]
    var feature: String

    init(_ equation: String, _ shapes: [[Int]], _ feature: String) {
        (self.equation, self.shapes, self.feature) = (equation, shapes, feature)
    }

    var testDescription: String { "\(feature): \"\(equation)\" \(shapes)" }
}

/// Checks `einsum` against `Reference.einsum` within the policy's einsum bound
/// (``ErrorBounds/einsum(_:_:exact:)``).
func expectEinsumMatchesReference<T: TensorScalar>(
    _ equation: String, _ operands: [Tensor<T>], _ context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let result = try einsum(equation, operands)
    let exact = try Reference.einsum(equation, operands.map(\.reference))
    let bound = try ErrorBounds(T.self).einsum(equation, operands.map(\.reference), exact: exact.values)
    expectWithinBound(result, exact, bound: bound, "\"\(equation)\" \(context)", sourceLocation: sourceLocation)
}

@Suite("einsum lowered onto batched GEMM")
struct EinsumTests {
    static let cases: [EinsumCase] = [
        EinsumCase("bhld,bhmd->bhlm", [[2, 3, 5, 8], [2, 3, 6, 8]], "attention scores"),
        EinsumCase("bhlm,bhmd->bhld", [[2, 3, 5, 6], [2, 3, 6, 8]], "attention values"),
        EinsumCase("ij,jk", [[4, 5], [5, 3]], "implicit output"),
        EinsumCase("ba,cb", [[4, 5], [6, 4]], "implicit output is alphabetical"),
        EinsumCase("Ab,bC->AC", [[3, 4], [4, 2]], "upper-case indices"),
        EinsumCase(" i j , j k -> i k ", [[4, 5], [5, 3]], "spaces"),
        EinsumCase("ij,jk->ki", [[4, 5], [5, 3]], "output transposed"),
        EinsumCase("ij,kj->ik", [[4, 7], [3, 7]], "right operand transposed"),
        EinsumCase("ji,jk->ik", [[7, 4], [7, 3]], "left operand transposed"),
        EinsumCase("...ij,...jk->...ik", [[2, 1, 3, 4], [5, 4, 2]], "ellipsis broadcasting"),
        EinsumCase("...ij,...jk", [[2, 1, 3, 4], [5, 4, 2]], "implicit output puts the ellipsis first"),
        EinsumCase("i...->...", [[3, 2, 4]], "ellipsis kept, leading index summed"),
        EinsumCase("...ij->ij", [[3, 2, 4]], "ellipsis summed in an explicit output"),
        EinsumCase("ii->i", [[5, 5]], "diagonal"),
        EinsumCase("ii", [[5, 5]], "trace"),
        EinsumCase("bii->bi", [[3, 4, 4]], "batched diagonal"),
        EinsumCase("iij,jk->ik", [[3, 3, 4], [4, 2]], "diagonal inside a contraction"),
        EinsumCase("ij->ji", [[4, 6]], "transpose"),
        EinsumCase("ij->", [[4, 6]], "sum of everything"),
        EinsumCase("ijk->j", [[3, 4, 5]], "indices summed out"),
        EinsumCase("ijk,k->ij", [[3, 4, 5], [5]], "matrix-vector over the last index"),
        EinsumCase("ij,jk->i", [[3, 4], [4, 5]], "index only in one operand is summed first"),
        EinsumCase("i,j->ij", [[4], [5]], "outer product"),
        EinsumCase("ij,j->i", [[4, 6], [6]], "matrix-vector"),
        EinsumCase("i,i->", [[9], [9]], "dot product"),
        EinsumCase("bi,bi->b", [[3, 7], [3, 7]], "batched dot product"),
        EinsumCase("ij,ij->ij", [[3, 4], [3, 4]], "elementwise product"),
        EinsumCase("ab,cd->", [[2, 3], [4, 5]], "product of two sums"),
        EinsumCase("ij,k->kji", [[3, 4], [5]], "outer product in a permuted order"),
        EinsumCase(",ij->ji", [[], [3, 4]], "rank-0 operand"),
        EinsumCase("ij,jk->ik", [[3, 1], [4, 5]], "size-1 index broadcasts like torch"),
        EinsumCase("bij,bjk->bik", [[1, 3, 4], [5, 4, 2]], "size-1 batch index broadcasts"),
        EinsumCase("bij,bjk,bkl->bil", [[2, 3, 4], [2, 4, 5], [2, 5, 3]], "three operands"),
        EinsumCase("ij,jk,kl,lm->im", [[3, 4], [4, 5], [5, 6], [6, 2]], "four operands"),
        EinsumCase("ia,ib,ic->abc", [[5, 2], [5, 3], [5, 4]], "three-way product sharing one index"),
        EinsumCase("...->...", [[2, 3]], "identity"),
        EinsumCase("ij,jk->ik", [[3, 0], [0, 2]], "empty contraction gives zeros"),
    ]

    @Test(
        "matches Reference.einsum for every notation feature, in every operand layout", arguments: cases,
        Layout.allCases)
    func notationFeatures(_ testCase: EinsumCase, layout: Layout) throws {
        var factory = TensorFactory(
            seed: UInt64(testCase.equation.unicodeScalars.reduce(0) { $0 &* 31 &+ Int($1.value) } & 0xFFFF)
                &+ UInt64(layout.rawValue.count))
        let operands: [Tensor<Float>] = testCase.shapes.map { factory.randn($0, layout) }
        try expectEinsumMatchesReference(testCase.equation, operands, "\(layout)")
    }

    @Test("Double operands lower onto dgemm and meet the Double bound")
    func doublePrecision() throws {
        var factory = TensorFactory(seed: 41)
        let a: Tensor<Double> = factory.randn([2, 6, 30], .transposed, as: Double.self)
        let b: Tensor<Double> = factory.randn([2, 30, 4], .strided, as: Double.self)
        try expectEinsumMatchesReference("bij,bjk->bik", [a, b])
        #expect(try einsumPlan("bij,bjk->bik", a, b).gemmCalls.first?.routine == "cblas_dgemm")
    }

    @Test("the seed's matrix product: einsum(\"ij,jk->ik\") of 2×3 and 3×2 integers")
    func smallExactProduct() throws {
        let a = try Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        let b = try Tensor<Float>(rows: [[7, 8], [9, 10], [11, 12]])
        // 1·7 + 2·9 + 3·11 = 58, 1·8 + 2·10 + 3·12 = 64, 4·7 + 5·9 + 6·11 = 139, 4·8 + 5·10 + 6·12 = 154
        expectValues(try einsum("ij,jk->ik", a, b), shape: [2, 2], [58, 64, 139, 154])
        expectValues(try einsum("ij,jk", a, b), shape: [2, 2], [58, 64, 139, 154])
    }

    // MARK: - Lowering

    @Test("\"bhld,bhmd->bhlm\" is one batched sgemm with transB and zero copies, like matmul(q, k.transposed(-2, -1))")
    func attentionScoresMakeNoCopy() throws {
        let q = TensorLayout(contiguous: [2, 4, 10, 32])
        let k = TensorLayout(contiguous: [2, 4, 10, 32])
        let plan = try einsumPlan("bhld,bhmd->bhlm", [q, k], scalar: Float.self)
        #expect(plan.copies.isEmpty, "\(plan)")
        #expect(plan.gemmCalls.count == 1)
        let call = try #require(plan.gemmCalls.first)
        #expect(call.routine == "cblas_sgemm")
        #expect(!call.transA && call.transB)
        #expect((call.m, call.n, call.k, call.batchCount) == (10, 10, 32, 2 * 4))
        #expect(plan.outputShape == [2, 4, 10, 10])
        var factory = TensorFactory(seed: 12)
        let qt: Tensor<Float> = factory.randn([2, 4, 10, 32])
        let kt: Tensor<Float> = factory.randn([2, 4, 10, 32])
        #expect(try matmulPlan(qt, kt.transposed(-2, -1)).gemmCalls == plan.gemmCalls)
    }

    @Test("\"bhlm,bhmd->bhld\" (attention · values) is one batched sgemm with no transpose and zero copies")
    func attentionValuesMakeNoCopy() throws {
        let plan = try einsumPlan(
            "bhlm,bhmd->bhld", [TensorLayout(contiguous: [2, 4, 10, 12]), TensorLayout(contiguous: [2, 4, 12, 32])],
            scalar: Float.self)
        #expect(plan.copies.isEmpty)
        let call = try #require(plan.gemmCalls.first)
        #expect(plan.gemmCalls.count == 1)
        #expect((call.m, call.n, call.k, call.batchCount, call.transA, call.transB) == (10, 32, 12, 8, false, false))
    }

    @Test("swapped operands (\"bhmd,bhld->bhlm\") are put in the order that needs no output copy")
    func operandOrderAvoidsOutputCopy() throws {
        let plan = try einsumPlan(
            "bhmd,bhld->bhlm", [TensorLayout(contiguous: [2, 4, 10, 32]), TensorLayout(contiguous: [2, 4, 7, 32])],
            scalar: Float.self)
        #expect(plan.copies.isEmpty, "\(plan)")
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.transB) == (7, 10, 32, true))
    }

    @Test(
        "broadcast ellipsis dimensions become broadcast GEMM batches, like matmul's: \"...ij,...jk->...ik\" copies nothing"
    )
    func ellipsisBroadcastsLikeMatmul() throws {
        let a = TensorLayout(contiguous: [8, 1, 64, 64])
        let b = TensorLayout(contiguous: [16, 64, 64])
        let plan = try einsumPlan("...ij,...jk->...ik", [a, b], scalar: Float.self)
        #expect(plan.copies.isEmpty, "\(plan)")
        #expect(plan.outputShape == [8, 16, 64, 64])
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount) == (64, 64, 64, 8 * 16))
        let x = Tensor<Float>(shape: a.shape)
        let y = Tensor<Float>(shape: b.shape)
        #expect(try matmulPlan(x, y).gemmCalls == plan.gemmCalls)
        var factory = TensorFactory(seed: 13)
        try expectEinsumMatchesReference(
            "...ij,...jk->...ik", [factory.randn([3, 1, 20, 24]), factory.randn([5, 24, 22])] as [Tensor<Float>])
    }

    @Test("free indices that merge in memory become one GEMM dimension without a copy (\"bld,ed->ble\" is one GEMM)")
    func freeIndicesMerge() throws {
        let plan = try einsumPlan(
            "bld,ed->ble", [TensorLayout(contiguous: [4, 10, 16]), TensorLayout(contiguous: [8, 16])],
            scalar: Float.self)
        #expect(plan.copies.isEmpty)
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount, call.transB) == (40, 8, 16, 1, true))
    }

    @Test(
        "when the contracted indices lie in opposite orders in memory, the smaller operand is copied and the plan says so"
    )
    func forcedCopyIsReported() throws {
        // "ikj,jk->i": k and j must merge into one K dimension in the same order for both operands,
        // but operand 0 stores them as (k, j) and operand 1 as (j, k): one of them is copied —
        // operand 1 (5·4 Floats = 80 bytes) rather than operand 0 (3·4·5 Floats = 240 bytes).
        let plan = try einsumPlan(
            "ikj,jk->i", [TensorLayout(contiguous: [3, 4, 5]), TensorLayout(contiguous: [5, 4])], scalar: Float.self)
        #expect(plan.gemmCalls.count == 1)
        #expect(plan.copies.map(\.operand) == ["operand 1"], "\(plan)")
        #expect(plan.copiedBytes == 5 * 4 * 4)
        var factory = TensorFactory(seed: 2)
        try expectEinsumMatchesReference(
            "ikj,jk->i", [factory.randn([3, 4, 5]), factory.randn([5, 4])] as [Tensor<Float>])
    }

    @Test(
        "an output order the GEMM cannot produce (\"bij,bjk->ibk\") costs exactly one output copy, listed in the plan")
    func outputCopyIsReported() throws {
        let plan = try einsumPlan(
            "bij,bjk->ibk", [TensorLayout(contiguous: [2, 3, 4]), TensorLayout(contiguous: [2, 4, 5])],
            scalar: Float.self)
        #expect(plan.copies.map(\.operand) == ["output"], "\(plan)")
        #expect(plan.copiedBytes == 3 * 2 * 5 * 4)
        var factory = TensorFactory(seed: 3)
        let result = try einsum("bij,bjk->ibk", factory.randn([2, 3, 4]) as Tensor<Float>, factory.randn([2, 4, 5]))
        #expect(result.isContiguous)
    }

    @Test(
        "\"ij->ji\" is a view: it shares the input's buffer with swapped strides, and the plan has no copy and no GEMM")
    func transposeIsAView() throws {
        var factory = TensorFactory(seed: 4)
        let x: Tensor<Float> = factory.randn([3, 5])
        let t = try einsum("ij->ji", x)
        #expect(t.sharesStorage(with: x))
        #expect(t.shape == [5, 3] && t.strides == [1, 5])
        let plan = try einsumPlan("ij->ji", x)
        #expect(plan.copies.isEmpty && plan.gemmCalls.isEmpty)
    }

    @Test("\"ii->i\" is a strided view whose stride is the sum of the two strides (n + 1)")
    func diagonalIsAView() throws {
        let x = try Tensor<Float>(shape: [4, 4], scalars: (0..<16).map(Float.init))
        let d = try einsum("ii->i", x)
        #expect(d.sharesStorage(with: x))
        #expect(d.shape == [4] && d.strides == [5])
        expectValues(d, shape: [4], [0, 5, 10, 15])
        expectValues(try einsum("ii", x), shape: [], [30])  // the trace 0 + 5 + 10 + 15
        let plan = try einsumPlan("ii->i", x)
        #expect(plan.copies.isEmpty && plan.gemmCalls.isEmpty)
    }

    @Test("three operands are contracted greedily by smallest intermediate, not left to right")
    func greedyOrder() throws {
        // i = 64, j = 2, k = 64, l = 2. Left to right, (ij·jk) makes a 64×64 intermediate;
        // greedy contracts jk·kl first into a 2×2 one.
        let shapes = [[64, 2], [2, 64], [64, 2]]
        let plan = try einsumPlan("ij,jk,kl->il", shapes.map { TensorLayout(contiguous: $0) }, scalar: Float.self)
        #expect(plan.intermediates.map(\.shape) == [[2, 2], [64, 2]], "\(plan)")
        #expect(plan.gemmCalls.count == 2)
        let greedyFlops = plan.gemmCalls.map(\.flops).reduce(0, +)
        let leftToRightFlops = 2.0 * 64 * 64 * 2 + 2.0 * 64 * 2 * 64  // (ij·jk) then (ik·kl)
        let chosenFlops = 2.0 * 2 * 2 * 64 + 2.0 * 64 * 2 * 2  // (jk·kl) then (ij·jl)
        #expect(greedyFlops == chosenFlops)
        #expect(greedyFlops * 10 < leftToRightFlops)
        var factory = TensorFactory(seed: 5)
        try expectEinsumMatchesReference("ij,jk,kl->il", shapes.map { factory.randn($0) } as [Tensor<Float>])
    }

    @Test("the plan lists every intermediate of a chain with its shape")
    func planListsIntermediates() throws {
        let plan = try einsumPlan(
            "bij,bjk,bkl->bil", [[2, 3, 40], [2, 40, 50], [2, 50, 3]].map { TensorLayout(contiguous: $0) },
            scalar: Float.self)
        #expect(plan.intermediates.count == 2)
        #expect(plan.intermediates.last?.shape == [2, 3, 3])
        #expect(plan.outputShape == [2, 3, 3])
    }

    // MARK: - Errors

    static let errorCases: [(equation: String, shapes: [[Int]], message: String)] = [
        (
            "bhld,bhmd->bhlm", [[2, 4, 10, 32], [2, 4, 10, 16]],
            "einsum: index 'd' has size 32 in operand 0 but 16 in operand 1"
        ),
        ("ij,j#->i", [[2, 3], [3, 3]], "einsum: unexpected character '#' at position 4 in \"ij,j#->i\""),
        ("ij,jk->ik", [[2, 3]], "einsum: equation \"ij,jk->ik\" has 2 operand terms but 1 operand was given"),
        ("ij", [[2, 3], [3, 4]], "einsum: equation \"ij\" has 1 operand term but 2 operands were given"),
        (
            "ij,jk->ik", [[2, 3], [3, 4, 5]],
            "einsum: operand 1 has shape [3, 4, 5] (rank 3) but its term \"jk\" names 2 indices (one index per dimension)"
        ),
        (
            "...ijk->i", [[2, 3]],
            "einsum: operand 0 has shape [2, 3] (rank 2) but its term \"...ijk\" names 3 indices (a term with '...' needs at least as many dimensions as letters)"
        ),
        (
            "ij,jk->iz", [[2, 3], [3, 4]],
            "einsum: output index 'z' at position 8 in \"ij,jk->iz\" does not appear in any input term"
        ),
        (
            "ij->ii", [[2, 3]],
            "einsum: output index 'i' at position 5 in \"ij->ii\" appears more than once in the output"
        ),
        (
            "ii->i", [[2, 3]],
            "einsum: index 'i' is repeated in operand 0 (term \"ii\", shape [2, 3]) with sizes 2 and 3: a repeated index walks a diagonal, so its dimensions must be equal"
        ),
        (
            "ij-k", [[2, 3]],
            "einsum: unexpected character '-' at position 2 in \"ij-k\": '-' must begin the arrow '->'"
        ),
        ("i.j", [[2, 3]], "einsum: '.' at position 1 in \"i.j\" does not start an ellipsis '...'"),
        ("...i...", [[2, 3]], "einsum: second ellipsis '...' at position 4 in \"...i...\": a term holds at most one"),
        ("ij->i->j", [[2, 3]], "einsum: second '->' at position 5 in \"ij->i->j\": an equation has one output term"),
        (
            "ij->i,j", [[2, 3]],
            "einsum: unexpected character ',' at position 5 in \"ij->i,j\": the output after '->' is a single term"
        ),
        (
            "...i,...i->...i", [[3, 2], [4, 2]],
            "einsum: the dimensions covered by '...' do not broadcast: ellipsis dimension -1 has size 3 in operand 0 but 4 in operand 1 (sizes must be equal or 1)"
        ),
    ]

    @Test("every error names the rule, the operand and the offending character or size", arguments: errorCases.indices)
    func errors(_ index: Int) throws {
        let (equation, shapes, message) = Self.errorCases[index]
        let operands = shapes.map { Tensor<Float>(shape: $0) }
        let error = #expect(throws: TensorError.self) { try einsum(equation, operands) }
        #expect(error?.op == "einsum")
        #expect(error?.description == message)
        let planError = #expect(throws: TensorError.self) { try einsumPlan(equation, operands) }
        #expect(planError?.description == message)
    }

    // MARK: - Fixtures

    @Test(
        "matches NumPy's einsum on the numeric fixtures", arguments: FixtureManifest.cases.filter { $0.op == "einsum" })
    func fixtures(_ fixture: FixtureCase) throws {
        let operands = try fixture.inputs.map { try fixture.tensor($0.name) }
        let equation = try fixture.string("equation")
        let expected = try fixture.expected("out")
        let result = try einsum(equation, operands)
        // The engine's Float evaluation and NumPy's float64 one, each within its bound.
        let (engineBound, fixtureBound) = try (
            ErrorBounds.float.einsum(equation, operands.map(\.reference), exact: expected.values),
            ErrorBounds(Double.self).einsum(equation, operands.map(\.reference), exact: expected.values)
        )
        expectWithinBound(result, expected, bound: zip(engineBound, fixtureBound).map(+), fixture.name)
    }

    @Test("the einsum fixtures are present")
    func fixturesPresent() {
        #expect(FixtureManifest.cases.filter { $0.op == "einsum" }.count >= 10)
    }
}
