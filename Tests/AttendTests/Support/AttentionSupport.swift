import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// Attention against the reference, bounded by the policy's worst-case propagation
// (``Propagation/attention(queries:keys:values:scale:mask:fused:)``).

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
/// (``Propagation/attention(queries:keys:values:scale:mask:fused:)``) for the materialized path,
/// and with `fused: true` for the fused kernels
/// (``ErrorBounds/fusedAttentionOutput(materialized:weightedValues:keyLength:)``).
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
        fusedOutput = try Propagation.worstCase.attention(
            queries: q, keys: k, values: v, scale: scale, mask: mask, fused: true
        ).output.error
    }
}
