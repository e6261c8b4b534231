import Attend
import AttendReference
import AttendVerification
import Testing

/// The tolerance policy and its propagation, tested directly.
@Suite("The bound policy and its propagation")
struct BoundPolicyTests {
    @Test("the dot-product bound is γ_K·|A||B| + u·|C| with γ_K = K·u/(1 − K·u), u = 2⁻²⁴")
    func dotProductBound() {
        let u = 0x1p-24
        let bound = ErrorBounds.float.dotProduct(absProduct: [10], exact: [-4], k: 32)
        let gamma = 32 * u / (1 - 32 * u)
        #expect(abs(bound[0] - (gamma * 10 + u * 4)) < 1e-20)
    }

    @Test("error/bound treats equal values (and equal infinities, two NaNs) as exact and a NaN error as ∞")
    func errorReport() {
        let exact = ErrorReport(actual: [1, .infinity, .nan], expected: [1, .infinity, .nan], bound: [0, 0, 0])
        #expect(exact.worstRatio == 0 && exact.maxAbsError == 0)
        let nan = ErrorReport(actual: [.nan], expected: [1], bound: [1])
        #expect(nan.worstRatio == .infinity)
        let half = ErrorReport(actual: [1.5, 2], expected: [1, 2], bound: [1, 1])
        #expect(half.worstRatio == 0.5 && half.maxAbsError == 0.5 && half.maxRelError == 0.25)
    }

    @Test("worst-case propagation through linear on exact inputs is the policy's dot-product bound")
    func linearPropagation() throws {
        var g = SeededGenerator(seed: 5)
        let x = Tensor<Float>.randn([3, 7], using: &g).reference(Double.self)
        let w = Tensor<Float>.randn([4, 7], using: &g).reference(Double.self)
        let model = Propagation.worstCase.linear(Tracked(exact: x), weight: w, bias: nil)
        let exact = try Reference.linear(x, weight: w)
        let policy = ErrorBounds.float.dotProduct(
            absProduct: try Reference.linear(x.magnitudes, weight: w.magnitudes).values, exact: exact.values, k: 7)
        for i in policy.indices {
            #expect(abs(model.error[i] - policy[i]) <= 1e-12 * policy[i])
            #expect(abs(model.value[i] - exact.values[i]) <= 1e-12 * (1 + abs(exact.values[i])))
        }
    }

    @Test("the probabilistic mode never exceeds the worst case, and is λ·√K·u for long products")
    func probabilisticFactor() {
        #expect(Propagation.probabilistic.dotFactor(4) <= Propagation.worstCase.dotFactor(4))
        #expect(abs(Propagation.probabilistic.dotFactor(1024) - 8 * 32 * 0x1p-24) < 1e-15)
    }

    @Test("the attention bound model's forward values agree with AttendReference, masks included")
    func attentionModel() throws {
        var g = SeededGenerator(seed: 6)
        let q = Tensor<Float>.randn([2, 5, 8], using: &g)
        let k = Tensor<Float>.randn([2, 6, 8], using: &g)
        let v = Tensor<Float>.randn([2, 6, 3], using: &g)
        let mask = AttentionMask<Float>.all([
            .causal, .keyPadding(try BoolTensor(shape: [2, 6], elements: (0..<12).map { $0 == 11 })),
        ])
        let exact = try Reference.scaledDotProductAttention(
            queries: q.reference(Double.self), keys: k.reference(Double.self), values: v.reference(Double.self),
            mask: mask.reference(Double.self), scale: 0.5)
        let model = Propagation.worstCase.attention(
            q: Tracked(exact: q.reference(Double.self)), k: Tracked(exact: k.reference(Double.self)),
            v: Tracked(exact: v.reference(Double.self)),
            groups: 2, lq: 5, lk: 6, dk: 8, dv: 3, scale: 0.5, mask: try ScoresMask(mask, scoresShape: [2, 5, 6]))
        #expect(
            modelDeviation([(model.output.value, exact.output.values), (model.weights.value, exact.weights.values)])
                < 1e-12)
    }

    @Test("the bound model's mask (resolved by the reference) excludes exactly the scores the engine gives weight 0")
    func maskResolutionAgrees() throws {
        var g = SeededGenerator(seed: 8)
        let (q, k, v) = (
            Tensor<Float>.randn([2, 3, 5, 4], using: &g), Tensor<Float>.randn([2, 3, 6, 4], using: &g),
            Tensor<Float>.randn([2, 3, 6, 2], using: &g)
        )
        let padding = try BoolTensor(shape: [2, 6], elements: (0..<12).map { $0 % 6 == 5 || $0 == 7 })
        let allowed = try BoolTensor(shape: [5, 6], elements: (0..<30).map { $0 % 7 != 3 })
        let additive = try Tensor<Float>(
            shape: [1, 3, 1, 6], scalars: (0..<18).map { $0 % 5 == 0 ? -.infinity : Float($0) / 10 })
        let mask = AttentionMask<Float>.all([.causal, .keyPadding(padding), .mayAttend(allowed), .additive(additive)])
        let weights = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask, returnWeights: true)
            .weights!
        let resolved = try ScoresMask(mask, scoresShape: [2, 3, 5, 6])
        let kept = zip(resolved.allowed!, resolved.additive!).map { $0 && $1.isFinite }
        #expect(weights.scalars.map { $0 != 0 } == kept)
        #expect(resolved.additive!.count == 2 * 3 * 5 * 6 && mask.hasAdditiveTerm)
        #expect(try ScoresMask(.causal, scoresShape: [2, 3, 5, 6]).additive == nil)
    }
}
