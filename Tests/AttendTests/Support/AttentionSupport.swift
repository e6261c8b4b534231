import Attend
import AttendReference
import Foundation
import Testing

// Attention-specific bridging and the attention error bound.

/// The reference mask equivalent to an engine mask.
func referenceMask(_ mask: AttentionMask<Float>) -> ReferenceMask<Double> {
    func array(_ m: BoolTensor) -> ReferenceArray<Double> {
        ReferenceArray(shape: m.shape, values: m.elements.map { $0 ? 1 : 0 })
    }
    switch mask {
    case .none: return .none
    case .causal: return .causal
    case .mayAttend(let m): return .allow(array(m))
    case .keyPadding(let m): return .keyPadding(array(m))
    case .additive(let t): return .additive(t.reference)
    case .all(let masks): return .all(masks.map(referenceMask))
    }
}

/// Error bounds for softmax(Q·Kᵀ·scale + mask)·V computed in Float, derived from the problem:
/// - a score may be off by e_s = γ_Dk·scale·(|Q|·|K|ᵀ) + u·|s| (one dot product of length Dk),
///   plus u·|s + mask| for rounding the sum when an additive mask is added (bounded here by
///   u·(|s| + max|mask|) over finite mask entries);
/// - a weight p_j by p_j·(2·max_row(e_s) + 8u·(1 + |s_j − max|)) (softmax of perturbed logits;
///   |s_j − max| is recovered from the exact weights as log(p_max / p_j));
/// - an output by γ_Lk·Σ_j p_j|v_j| + Σ_j δp_j·|v_j| + u·|o|.
///
/// The fused kernels (``fusedOutput``) evaluate the same sums in another order and add:
/// - the normalizer l = Σ_j e^(s_j − m) accumulated in Float (the AVX2 micro-kernel; the
///   sgemm-tiled path uses Double): relative γ_Lk, so γ_Lk·|o| ≤ γ_Lk·Σ_j p_j|v_j| on the output;
/// - the online rescaling: once per key block of ≥ 128 keys, O and l are each multiplied by
///   e^(m − m'), one rounding each, so ≤ 2·⌈Lk/128⌉·u·Σ_j p_j|v_j|;
/// - the 8-lane exp (≤ 2 ulp instead of the correctly rounded 1): u·p_j more per weight, inside
///   the 8u of δp_j.
/// Hence fused ≤ 2·output + 2·⌈Lk/128⌉·u·Σ_j p_j|v_j| (the doubling covers the normalizer, the
/// exp and the final division's rounding).
struct AttentionBound {
    var output: [Double]
    var weights: [Double]
    /// The fused kernels' bound on the output (see above).
    var fusedOutput: [Double]

    init(queries q: ReferenceArray<Double>, keys k: ReferenceArray<Double>, values v: ReferenceArray<Double>,
         scale: Double, exactWeights w: ReferenceArray<Double>, exactOutput o: ReferenceArray<Double>,
         additiveMaskMagnitude: Double = 0) throws {
        let u = Tolerance.unitRoundoff(Float.self)
        let dk = q.shape.last!, lk = k.shape[k.rank - 2]
        let gammaD = Double(dk) * u / (1 - Double(dk) * u), gammaL = Double(lk) * u / (1 - Double(lk) * u)
        let kT = try Reference.transposed(k, -2, -1)
        let absScores = try Reference.matmul(q.magnitudes, kT.magnitudes)   // same shape as w
        let scores = try Reference.matmul(q, kT)
        let n = Swift.max(w.shape.last!, 1)
        var weightBound = Array(repeating: 0.0, count: w.count)
        for r in 0..<(w.count / n) {
            var rowError = 0.0
            for j in 0..<n {
                let i = r * n + j
                let sum = Swift.abs(scale * scores.values[i]) + additiveMaskMagnitude
                rowError = Swift.max(rowError, gammaD * scale * absScores.values[i] + u * Swift.abs(scale * scores.values[i]) + u * sum)
            }
            let pMax = (0..<n).map { w.values[r * n + $0] }.max() ?? 0
            for j in 0..<n {
                let p = w.values[r * n + j]
                let shift = p > 0 ? Swift.abs(log(pMax / p)) : 0
                weightBound[r * n + j] = p * (2 * rowError + 8 * u * (1 + shift)) + 1e-45
            }
        }
        let pv = try Reference.matmul(w, v.magnitudes)
        let dpv = try Reference.matmul(ReferenceArray(shape: w.shape, values: weightBound), v.magnitudes)
        let materialized = pv.values.indices.map { gammaL * pv.values[$0] + dpv.values[$0] + u * Swift.abs(o.values[$0]) + 1e-45 }
        let rescalings = 2 * Double((lk + 127) / 128)
        output = materialized
        weights = weightBound
        fusedOutput = materialized.indices.map { 2 * materialized[$0] + rescalings * u * pv.values[$0] }
    }
}

/// Runs SDPA through the engine and the reference and checks the output (and, for the
/// materialized path, the weights) against the attention bound (the fused path against
/// ``AttentionBound/fusedOutput``).
func expectAttentionMatchesReference(
    _ q: Tensor<Float>, _ k: Tensor<Float>, _ v: Tensor<Float>, mask: AttentionMask<Float> = .none,
    scale: Float? = nil, algorithm: AttentionAlgorithm = .materialized, _ context: String = ""
) throws {
    let fused = algorithm != .materialized
    let result = try scaledDotProductAttention(
        queries: q, keys: k, values: v, mask: mask, scale: scale, returnWeights: !fused, algorithm: algorithm)
    let s = Double(scale ?? 1 / Float(q.shape.last!).squareRoot())
    let exact = try Reference.scaledDotProductAttention(
        queries: q.reference, keys: k.reference, values: v.reference, mask: referenceMask(mask), scale: s)
    let bound = try AttentionBound(
        queries: q.reference, keys: k.reference, values: v.reference, scale: s, exactWeights: exact.weights, exactOutput: exact.output,
        additiveMaskMagnitude: additiveMagnitude(mask))
    expectWithinBound(result.output, exact.output, bound: fused ? bound.fusedOutput : bound.output, "output \(algorithm) \(context)")
    if let weights = result.weights {
        expectWithinBound(weights, exact.weights, bound: bound.weights, "weights \(context)")
    }
}

/// The largest finite |entry| of the additive parts of a mask (0 when there are none).
func additiveMagnitude(_ mask: AttentionMask<Float>) -> Double {
    switch mask {
    case .additive(let t): return t.scalars.filter { $0.isFinite }.map { Double(Swift.abs($0)) }.max() ?? 0
    case .all(let masks): return masks.map(additiveMagnitude).reduce(0, +)
    default: return 0
    }
}
