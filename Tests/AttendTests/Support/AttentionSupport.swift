import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// Attention against the reference, bounded by the policy's worst-case propagation
// (``Propagation/attention(queries:keys:values:scale:mask:)``).

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
        queries: q.reference, keys: k.reference, values: v.reference, mask: mask.reference(Double.self), scale: s)
    let bound = try AttentionBound(queries: q.reference, keys: k.reference, values: v.reference, scale: s, mask: mask)
    expectWithinBound(
        result.output, exact.output, bound: fused ? bound.fusedOutput : bound.output, "output \(algorithm) \(context)")
    if let weights = result.weights {
        expectWithinBound(weights, exact.weights, bound: bound.weights, "weights \(context)")
    }
}

/// The bounds an attention test checks against: the policy's worst-case propagation
/// (``Propagation/attention(queries:keys:values:scale:mask:)``) for the materialized path, and
/// for the fused kernels
///
///     fused ≤ 2·output + 2·⌈Lk/128⌉·u·Σ_j p_j|v_j|
///
/// The fused kernels evaluate the same sums in another order and add: the normalizer
/// l = Σ_j e^(s_j − m) accumulated in Float (the AVX2 micro-kernel; the sgemm-tiled path uses
/// Double), relative γ_Lk, so γ_Lk·|o| ≤ γ_Lk·Σ_j p_j|v_j| on the output; the online rescaling,
/// once per key block of ≥ 128 keys, O and l each multiplied by e^(m − m'), one rounding each, so
/// ≤ 2·⌈Lk/128⌉·u·Σ_j p_j|v_j|; and the 8-lane exp (≤ 2 ulp instead of 1), u·p_j more per
/// weight. The doubling covers the normalizer, the exp and the final division's rounding.
struct AttentionBound {
    var output: [Double]
    var weights: [Double]
    var fusedOutput: [Double]

    init(
        queries q: ReferenceArray<Double>, keys k: ReferenceArray<Double>, values v: ReferenceArray<Double>,
        scale: Double, mask: AttentionMask<Float> = .none
    ) throws {
        let bound = try Propagation.worstCase.attention(queries: q, keys: k, values: v, scale: scale, mask: mask)
        output = bound.output.error
        weights = bound.weights.error
        let exact = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: mask.reference(Double.self), scale: scale)
        let pv = try Reference.matmul(exact.weights, v.magnitudes).values  // Σ_j p_j|v_j|, [batch…, Lq, Dv]
        let blocks = Double((k.shape[k.rank - 2] + 127) / 128)
        let u = ErrorBounds.float.u
        fusedOutput = zip(output, pv).map { 2 * $0 + 2 * blocks * u * $1 }
    }
}
