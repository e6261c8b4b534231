import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// Attention against the reference, bounded by the policy's worst-case propagation
// (``Propagation/attention(queries:keys:values:scale:mask:)``).

/// Runs SDPA through the engine and the reference and checks the output (and, for the
/// materialized path, the weights) against the attention bound. The fused path's bound is twice
/// the materialized one: the online softmax rescales each row once per key block (one extra
/// rounding of every weight per block, ≤ 2 blocks in these tests) and the vectorized exp is
/// within 2 ulp instead of 1.
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
    let bound = try Propagation.worstCase.attention(queries: q.reference, keys: k.reference, values: v.reference, scale: s, mask: mask)
    expectWithinBound(result.output, exact.output, bound: bound.output.error.map { fused ? 2 * $0 : $0 }, "output \(algorithm) \(context)")
    if let weights = result.weights {
        expectWithinBound(weights, exact.weights, bound: bound.weights.error, "weights \(context)")
    }
}
