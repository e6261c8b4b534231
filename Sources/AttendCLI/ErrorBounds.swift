import Attend
import AttendReference

// The project's tolerance policy — the same formulas as Tests/AttendTests/Support/Tolerance.swift
// (test code cannot be imported into an executable, so they are written again here).
//
// Every comparison is elementwise: |engine − reference| ≤ bound, with the reference computed in
// Double from the *same* Float inputs, so the bound covers only the engine's own arithmetic.
// With u = 2⁻²⁴ (the unit roundoff of Float, the engine's type) and γ_K = K·u / (1 − K·u):
//
// - a dot product of length K (matmul, einsum, linear, conv):  γ_K·Σₖ|aₖ||bₖ| + u·|c|
//   (the classical worst case for any summation order, blocked or FMA);
// - a sum of N terms accumulated in Double and rounded once:   u·|s| + N·2⁻⁵³·Σ|x|;
// - softmax:                                                     p·u·(8 + 2·|x − max|);
// - log-softmax:                                                 8u·(|y| + |x − max| + 1);
// - results computed in Double and rounded once (LayerNorm, std): 2 ulps, 2u·|y|.
//
// Composite ops (attention, multi-head attention, the encoder layer) chain these: see
// `Propagation`, which carries a bound on every intermediate through the next op's
// first-order sensitivity, so each output element gets its own bound, derived from the
// problem rather than a global tolerance.

enum ErrorBounds {
    /// u = 2⁻²⁴, the unit roundoff of Float.
    static let u = Double(Float.ulpOfOne) / 2

    /// γ_K = K·u / (1 − K·u).
    static func gamma(_ k: Int) -> Double {
        let ku = Double(k) * u
        return ku / (1 - ku)
    }

    /// γ_K·(|A|·|B|) + u·|C| elementwise, for products whose reduction length is `k`.
    static func dotProduct(absProduct: [Double], exact: [Double], k: Int) -> [Double] {
        let g = gamma(k)
        return zip(absProduct, exact).map { g * $0 + u * Swift.abs($1) + Double.leastNormalMagnitude }
    }

    /// u·|s| + N·2⁻⁵³·Σ|x| for sums of N terms accumulated in Double.
    static func doubleAccumulatedSum(sum: [Double], absSum: [Double], n: Int) -> [Double] {
        zip(sum, absSum).map { u * Swift.abs($0) + Double(n) * 0x1p-53 * $1 + Double.leastNormalMagnitude }
    }

    /// `ulps`·u·|x| (plus Float's smallest normal, so exact zeros compare).
    static func relative(_ exact: [Double], ulps: Double) -> [Double] {
        exact.map { ulps * u * Swift.abs($0) + Double(Float.leastNormalMagnitude) }
    }

    /// p·u·(8 + 2|x − max|) for softmax probabilities p with shifted logits x − max.
    static func softmax(probabilities: [Double], shifts: [Double]) -> [Double] {
        zip(probabilities, shifts).map { p, s in p * u * (8 + 2 * Swift.abs(s.isFinite ? s : 0)) + 1e-45 }
    }

    /// 8u·(|y| + |x − max| + 1) for log-softmax values y.
    static func logSoftmax(values: [Double], shifts: [Double]) -> [Double] {
        zip(values, shifts).map { y, s in 8 * u * (Swift.abs(y.isFinite ? y : 0) + Swift.abs(s.isFinite ? s : 0) + 1) }
    }
}

/// How far one result is from the exact one, measured against its bound.
struct ErrorMeasure {
    /// max |engine − exact|.
    var maxAbsError = 0.0
    /// ‖engine − exact‖∞ / ‖exact‖∞ (a normwise relative error: elementwise ratios explode at
    /// exact zeros, which masks and cancellations produce on purpose).
    var maxRelError = 0.0
    /// max over elements of |engine − exact| / bound: ≤ 1 passes. Equal values (including equal
    /// infinities and two NaNs) count 0; a NaN or infinite error counts ∞.
    var worstRatio = 0.0

    init(actual: [Double], exact: [Double], bound: [Double]) {
        precondition(actual.count == exact.count && exact.count == bound.count, "ErrorMeasure: sizes differ")
        var largest = 0.0
        for i in actual.indices {
            let error = Swift.abs(actual[i] - exact[i])
            let ratio: Double
            if actual[i] == exact[i] || (actual[i].isNaN && exact[i].isNaN) {
                ratio = 0
            } else if !error.isFinite {
                ratio = .infinity
            } else {
                ratio = error / bound[i]
            }
            worstRatio = Swift.max(worstRatio, ratio.isNaN ? .infinity : ratio)
            if ratio > 0 { maxAbsError = Swift.max(maxAbsError, error.isNaN ? .infinity : error) }
            if exact[i].isFinite { largest = Swift.max(largest, Swift.abs(exact[i])) }
        }
        maxRelError = largest > 0 ? maxAbsError / largest : (maxAbsError > 0 ? .infinity : 0)
    }
}
