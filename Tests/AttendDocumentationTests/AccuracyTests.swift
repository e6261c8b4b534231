import Attend
import AttendReference
import AttendVerification
import Testing

/// The snippets of `Accuracy.md`, run. The bounds are the textbook ones (Higham, *Accuracy and
/// Stability of Numerical Algorithms*, §3.1); the sums' exact values are worked out by hand.
@Suite("Article: Accuracy")
struct AccuracyTests {
    @Test("sgemm against the Double reference: every element inside γ_K·Σ|a||b|")
    func matmulBound() throws {
        // snippet: accuracy-matmul-bound
        var generator = SeededGenerator(seed: 21)
        let a = Tensor<Float>.randn([64, 512], using: &generator)  // [M, K]
        let b = Tensor<Float>.randn([512, 64], using: &generator)  // [K, N]
        let fast = try matmul(a, b)  // [M, N]: OpenBLAS sgemm, Float
        let exactA = ReferenceArray(shape: a.shape, values: a.scalars.map(Double.init))
        let exactB = ReferenceArray(shape: b.shape, values: b.scalars.map(Double.init))
        let exact = try Reference.matmul(exactA, exactB)  // [M, N]: plain loops in Double
        let absA = Reference.map(exactA, abs)
        let absB = Reference.map(exactB, abs)  // |a|, |b|
        let scale = try Reference.matmul(absA, absB)  // [M, N]: Σ|a||b| per element
        let u = Double(Float.ulpOfOne) / 2  // 2⁻²⁴, Float's unit roundoff
        let gamma = 512 * u / (1 - 512 * u)  // γ_K for K = 512
        let used = zip(zip(fast.scalars, exact.values), scale.values).map { pair, s in
            abs(Double(pair.0) - pair.1) / (gamma * s)  // fraction of the bound used, ≤ 1
        }.max()!
        // snippet-end
        #expect(used <= 1)
        #expect(used > 0)
    }

    @Test("a million Float additions of 0.1 drift; Attend's Double accumulator does not")
    func summation() throws {
        // snippet: accuracy-summation
        let tenths = Tensor<Float>(shape: [1_000_000], repeating: 0.1)  // [10⁶]: 0.100000001490116… each
        var naive: Float = 0
        for x in tenths.scalars { naive += x }  // 10⁶ roundings: ≈ 100 958
        let attend = try tenths.sum().scalars[0]  // summed in Double, rounded once: 100 000
        // snippet-end
        // Exactly: 10⁶ · Float(0.1) = 100000.00149…, whose nearest Float is 100000.
        #expect(attend == 100_000)
        #expect(Swift.abs(naive - 100_000) > 900)
    }

    @Test("distances far from the origin: the uncentred GEMM form loses digits, centring keeps them")
    func cancellation() throws {
        // snippet: accuracy-cancellation
        var generator = SeededGenerator(seed: 22)
        let a = Tensor<Float>.randn([50, 3], using: &generator) + 1000  // [N, D], near (1000, 1000, 1000)
        let b = Tensor<Float>.randn([40, 3], using: &generator) + 1000  // [M, D], about 2 apart
        let exact = try squaredDistances(a, b, method: .broadcasting)  // [N, M]: no cancellation
        let raw = try squaredDistances(a, b, method: .gemm, centered: false)  // 3·10⁶ + 3·10⁶ − 6·10⁶
        let centred = try squaredDistances(a, b, method: .gemm)  // the default: subtract the mean first
        // snippet-end
        func worstRelative(_ x: Tensor<Float>) -> Double {
            zip(x.scalars, exact.scalars).map { Double(Swift.abs($0 - $1)) / Double($1) }.max()!
        }
        // Uncentred: an absolute error of about u·‖a‖² = 2⁻²⁴·3·10⁶ ≈ 0.2 on distances of a few units.
        #expect(worstRelative(raw) > 1e-3)
        // Centred: the norms shrink to the spread (a few units), the error to a few ulps.
        #expect(worstRelative(centred) < 1e-4)
    }

    @Test("attention in Float agrees with the Double reference to about 10⁻⁷ of its scale")
    func attentionAgreement() throws {
        // snippet: accuracy-attention
        var generator = SeededGenerator(seed: 23)
        let q = Tensor<Float>.randn([2, 4, 64, 32], using: &generator)  // [B, H, L, D]
        let k = Tensor<Float>.randn([2, 4, 64, 32], using: &generator)
        let v = Tensor<Float>.randn([2, 4, 64, 32], using: &generator)
        let engine = try scaledDotProductAttention(queries: q, keys: k, values: v).output  // Float, fused
        let reference = try Reference.scaledDotProductAttention(
            queries: ReferenceArray(shape: q.shape, values: q.scalars.map(Double.init)),
            keys: ReferenceArray(shape: k.shape, values: k.scalars.map(Double.init)),
            values: ReferenceArray(shape: v.shape, values: v.scalars.map(Double.init))
        ).output  // Double
        let worst = zip(engine.scalars, reference.values).map { abs(Double($0) - $1) }.max()!  // ≈ 1e-7
        // snippet-end
        // Outputs are weighted averages of the values, so |output| ≤ max|v|; the scores (32-term
        // dot products), the softmax and the 64-term average each add a few u of relative
        // error — 512·u·max|v| is a generous envelope for the chain.
        let u = Double(Float.ulpOfOne) / 2
        let largestValue = Double(v.scalars.map { Swift.abs($0) }.max()!)
        #expect(worst <= 512 * u * largestValue)
        #expect(worst > 0)
    }

    @Test("your own op checked with AttendVerification: the report's worst error/bound is at most 1")
    func ownOp() throws {
        // snippet: accuracy-own-op
        // Your op, composed of Attend's: scaled pairwise scores s = a·bᵀ / √D.
        func scores(_ a: Tensor<Float>, _ b: Tensor<Float>) throws -> Tensor<Float> {
            try matmul(a, b.transposed(0, 1)) * (1 / Float(a.shape[1]).squareRoot())  // [N, M]
        }
        var generator = SeededGenerator(seed: 24)
        let a = Tensor<Float>.randn([32, 256], using: &generator)  // [N, D]
        let b = Tensor<Float>.randn([48, 256], using: &generator)  // [M, D]
        let engine = try scores(a, b)  // [N, M], Float
        // The reference path: the same rounded inputs, in Double, from the formula.
        let (exactA, exactB) = (a.reference, b.reference)  // ReferenceArray<Double> [N, D], [M, D]
        let scale = 1 / Double(256).squareRoot()  // 1/16, exact in Float too
        let exact = try Reference.matmul(exactA, Reference.transposed(exactB, 0, 1)).values.map { $0 * scale }
        let magnitude = try Reference.matmul(exactA.magnitudes, Reference.transposed(exactB.magnitudes, 0, 1))
        // The policy's bound for a K-term dot product: γ_K·Σ|a||b| + u·|s| per element.
        let bound = ErrorBounds.float.dotProduct(
            absProduct: magnitude.values.map { $0 * scale }, exact: exact, k: 256)
        let report = ErrorReport(actual: engine.scalars.map(Double.init), expected: exact, bound: bound)
        let passes = report.worstRatio <= 1  // report.description names the worst element
        // snippet-end
        #expect(passes, "\(report)")
        #expect(report.worstRatio > 0 && report.worstIndex >= 0)
        // A wrong op fails the same check: forgetting the scale is far outside the bound.
        let wrong = try matmul(a, b.transposed(0, 1))
        let caught = ErrorReport(actual: wrong.scalars.map(Double.init), expected: exact, bound: bound)
        #expect(caught.worstRatio > 1e3)
    }
}
