import Attend
import AttendReference
import AttendVerification
import Testing

/// The policy's bound (``ErrorBounds/squaredDistances(_:_:exact:usesGEMM:centered:)``) for the
/// form `method` runs (`.gemm` centres by default).
func distanceBound<T: TensorScalar>(
    _ a: ReferenceArray<Double>, _ b: ReferenceArray<Double>, exact: ReferenceArray<Double>, method: DistanceMethod,
    centered: Bool = true, scalar: T.Type
) throws -> [Double] {
    try ErrorBounds(T.self).squaredDistances(a, b, exact: exact.values, usesGEMM: method == .gemm, centered: centered)
}

@Suite("Pairwise squared distances: broadcasting and GEMM forms")
struct DistanceTests {
    static let seedA = try! Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
    static let seedB = try! Tensor<Float>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])
    /// Seed 000 Problem 2's printed distance matrix.
    static let seedDistances: [Double] = [0.5, 12.5, 200, 0.5, 4.5, 162, 4.5, 0.5, 128, 12.5, 0.5, 98, 24.5, 4.5, 72]

    @Test(
        "seed 000's 5×3 distance matrix comes out exactly by every method",
        arguments: [DistanceMethod.broadcasting, .gemm, .automatic])
    func seedMatrix(method: DistanceMethod) throws {
        expectValues(try squaredDistances(Self.seedA, Self.seedB, method: method), shape: [5, 3], Self.seedDistances)
        expectValues(
            try squaredDistances(Self.seedA, Self.seedB, method: method, centered: true), shape: [5, 3],
            Self.seedDistances)
    }

    @Test("euclideanDistances is the square root of the seed matrix (torch.cdist)")
    func euclideanSeed() throws {
        let expected = Self.seedDistances.map { $0.squareRoot() }
        for method in [DistanceMethod.broadcasting, .gemm] {
            let result = try euclideanDistances(Self.seedA, Self.seedB, method: method)
            let bound = ErrorBounds.float.relative(expected, ulps: 2)
            expectWithinBound(result, ReferenceArray(shape: [5, 3], values: expected), bound: bound, "\(method)")
        }
    }

    @Test(
        "random point sets in every layout match Reference.squaredDistances by both methods",
        arguments: [DistanceMethod.broadcasting, .gemm], Layout.allCases)
    func randomPoints(method: DistanceMethod, layout: Layout) throws {
        var factory = TensorFactory(seed: 20 &+ UInt64(layout.rawValue.count) &* 3 &+ (method == .gemm ? 1 : 0))
        for (sa, sb) in [
            ([6, 4], [3, 4]), ([2, 5, 3], [2, 7, 3]), ([2, 5, 3], [7, 3]), ([1, 4, 9], [3, 2, 9]),
            ([40, 17], [33, 17]),
        ] {
            let a: Tensor<Float> = factory.randn(sa, layout)
            let b: Tensor<Float> = factory.randn(sb, layout)
            let exact = try Reference.squaredDistances(a.reference, b.reference)
            let result = try squaredDistances(a, b, method: method)
            expectWithinBound(
                result, exact,
                bound: try distanceBound(a.reference, b.reference, exact: exact, method: method, scalar: Float.self),
                "\(sa) \(sb)")
            let cdist = try euclideanDistances(a, b, method: method)
            let exactCdist = try Reference.euclideanDistances(a.reference, b.reference)
            #expect(cdist.shape == exactCdist.shape)
        }
    }

    @Test("Double point sets meet the Double bound through dgemm")
    func doublePrecision() throws {
        var factory = TensorFactory(seed: 77)
        let a: Tensor<Double> = factory.randn([3, 20, 8], .strided, as: Double.self)
        let b: Tensor<Double> = factory.randn([3, 11, 8], .transposed, as: Double.self)
        let exact = try Reference.squaredDistances(a.reference, b.reference)
        expectWithinBound(
            try squaredDistances(a, b, method: .gemm), exact,
            bound: try distanceBound(a.reference, b.reference, exact: exact, method: .gemm, scalar: Double.self))
        let plan = try squaredDistancesPlan(a.layout, b.layout, method: .gemm, scalar: Double.self)
        #expect(plan.gemmCalls.first?.routine == "cblas_dgemm")
    }

    @Test("the GEMM form is one batched sgemm with transB and alpha = −2, copying nothing")
    func gemmPlan() throws {
        let plan = try squaredDistancesPlan(
            TensorLayout(contiguous: [4, 100, 16]), TensorLayout(contiguous: [4, 80, 16]), method: .gemm,
            centered: false, scalar: Float.self)
        #expect(plan.copies.isEmpty, "\(plan)")
        #expect(plan.gemmCalls.count == 1)
        let call = try #require(plan.gemmCalls.first)
        #expect((call.m, call.n, call.k, call.batchCount) == (100, 80, 16, 4))
        #expect(!call.transA && call.transB && call.alpha == -2)
        #expect(plan.outputShape == [4, 100, 80])
    }

    @Test(".automatic broadcasts while [N, M, D] holds at most 65 536 elements and uses the GEMM above")
    func automaticThreshold() throws {
        #expect(DistanceMethod.automaticBroadcastLimit == 65_536)
        let small = try squaredDistancesPlan(
            TensorLayout(contiguous: [64, 32]), TensorLayout(contiguous: [32, 32]), scalar: Float.self)
        #expect(small.gemmCalls.isEmpty)  // 64·32·32 = 65 536: broadcast
        #expect(small.intermediates.first?.shape == [64, 32, 32])
        let large = try squaredDistancesPlan(
            TensorLayout(contiguous: [65, 32]), TensorLayout(contiguous: [32, 32]), scalar: Float.self)
        #expect(large.gemmCalls.count == 1)  // 65·32·32 > 65 536: GEMM
    }

    @Test(
        "the GEMM form never returns a negative distance: cancellation between near-duplicate points at 1e3 is clamped at 0"
    )
    func clampAtZero() throws {
        var factory = TensorFactory(seed: 31)
        let noise: Tensor<Float> = factory.randn([30, 8])
        let a = noise * 1e-2 + 1000  // [30, 8], points near (1000, …, 1000)
        let b = try a + (factory.randn([30, 8]) as Tensor<Float>) * 1e-3  // [30, 8], b_m a few ulps from a_m
        let exact = try Reference.squaredDistances(a.reference, b.reference)
        let result = try squaredDistances(a, b, method: .gemm, centered: false)  // the raw formula
        let values = result.scalars
        #expect(values.allSatisfy { $0 >= 0 }, "min \(values.min()!)")
        // ‖a‖² ≈ 8e6 while the diagonal distances are ≈ 1e-5: the GEMM form cannot resolve them,
        // so some come out as the clamped 0 although the reference says they are positive.
        let diagonal = (0..<30).map { values[$0 * 30 + $0] }
        let exactDiagonal = (0..<30).map { exact.values[$0 * 30 + $0] }
        #expect(exactDiagonal.allSatisfy { $0 > 0 })
        #expect(diagonal.contains(0))
        #expect(try euclideanDistances(a, b, method: .gemm, centered: false).scalars.allSatisfy { !$0.isNaN })
    }

    @Test(
        "centring restores accuracy on points around 1e3: the uncentred GEMM form breaks the centred bound, the centred one meets it"
    )
    func centringRestoresAccuracy() throws {
        var factory = TensorFactory(seed: 9)
        let a = (factory.randn([12, 8]) as Tensor<Float>) * 0.5 + 1000  // [12, 8]
        let b = (factory.randn([10, 8]) as Tensor<Float>) * 0.5 + 1000  // [10, 8]
        let exact = try Reference.squaredDistances(a.reference, b.reference)
        // The centred GEMM form's bound: T over a − c and b − c, c the mean of all 22 points.
        let bound = try distanceBound(a.reference, b.reference, exact: exact, method: .gemm, scalar: Float.self)

        let centred = try squaredDistances(a, b, method: .gemm, centered: true)
        expectWithinBound(centred, exact, bound: bound, "centred")
        let uncentred = try squaredDistances(a, b, method: .gemm, centered: false)
        let report = ErrorReport(actual: uncentred.scalars.map(Double.init), expected: exact.values, bound: bound)
        #expect(report.worstRatio > 10, "the uncentred form was expected to lose digits: \(report)")
        let broadcast = try squaredDistances(a, b, method: .broadcasting)
        let direct = try distanceBound(
            a.reference, b.reference, exact: exact, method: .broadcasting, scalar: Float.self)
        expectWithinBound(broadcast, exact, bound: direct, "broadcasting has no cancellation: a few u of c")
    }

    @Test("the centred plan lists the centring passes before the GEMM")
    func centredPlan() throws {
        let plan = try squaredDistancesPlan(
            TensorLayout(contiguous: [300, 8]), TensorLayout(contiguous: [200, 8]), method: .gemm, centered: true,
            scalar: Float.self)
        #expect(plan.op == "squaredDistances (gemm, centered)")
        #expect(plan.intermediates.map(\.name).prefix(3) == ["c", "a − c", "b − c"])
        #expect(plan.gemmCalls.count == 1)
    }

    @Test("errors name both shapes and the rule")
    func errors() throws {
        let cases: [([Int], [Int], String)] = [
            (
                [5, 2], [3, 4],
                "squaredDistances: a [5, 2] has points of dimension 2 but b [3, 4] has 4 (a [..., N, D] and b [..., M, D] need the same D)"
            ),
            (
                [5], [3, 5],
                "squaredDistances: a [5] and b [3, 5] must be point sets [..., N, D] and [..., M, D] (at least 2 dimensions each)"
            ),
            (
                [2, 5, 3], [4, 6, 3],
                "squaredDistances: a [2, 5, 3] and b [4, 6, 3]: batch dimensions [2] and [4] do not broadcast"
            ),
        ]
        for (sa, sb, message) in cases {
            let error = #expect(throws: TensorError.self) {
                try squaredDistances(Tensor<Float>(shape: sa), Tensor<Float>(shape: sb))
            }
            #expect(error?.description == message)
        }
    }

    @Test(
        "matches the NumPy sqdist fixtures by both methods",
        arguments: FixtureManifest.cases.filter { $0.op == "sqdist" })
    func fixtures(_ fixture: FixtureCase) throws {
        let a = try fixture.tensor("a")
        let b = try fixture.tensor("b")
        let expected = try fixture.expected("out")
        // The engine's Float evaluation and NumPy's float64 one (the broadcast form), each within its bound.
        func bound(_ method: DistanceMethod) throws -> [Double] {
            let engine = try distanceBound(
                a.reference, b.reference, exact: expected, method: method, scalar: Float.self)
            let numpy = try distanceBound(
                a.reference, b.reference, exact: expected, method: .broadcasting, scalar: Double.self)
            return zip(engine, numpy).map(+)
        }
        expectWithinBound(
            try squaredDistances(a, b, method: .broadcasting), expected, bound: try bound(.broadcasting),
            "broadcasting \(fixture)")
        // The large-offset case is the cancellation example: the GEMM form needs centring there.
        expectWithinBound(
            try squaredDistances(a, b, method: .gemm, centered: true), expected, bound: try bound(.gemm),
            "gemm \(fixture)")
    }

    @Test("the sqdist fixtures are present")
    func fixturesPresent() {
        #expect(
            FixtureManifest.cases.filter { $0.op == "sqdist" }.map(\.name).sorted() == [
                "sqdist_large_offset", "sqdist_random", "sqdist_seed",
            ])
    }
}
