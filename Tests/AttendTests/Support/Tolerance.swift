import Attend
import AttendReference
import Testing

// The tolerance policy, written down once.
//
// Every comparison is elementwise: |engine − reference| ≤ bound, where the bound comes from the
// problem, not from one global atol. With u the unit roundoff of the engine's scalar
// (2⁻²⁴ for Float, 2⁻⁵³ for Double):
//
// - a dot product of length K (matmul, einsum, linear, conv, attention's two GEMMs) may be off by
//   γ_K·Σₖ|aₖ||bₖ| with γ_K = K·u/(1 − K·u) — the classical worst-case bound for recursive
//   summation, which also covers blocked and FMA summation orders — plus u·|c| for the final
//   rounding. `dotProductBound` computes it from |A|·|B| evaluated by the reference;
// - a sum of N terms accumulated in Double and rounded once: u·|s| + N·2⁻⁵³·Σ|x|;
// - softmax: each output p may carry a relative error of a few u from exp and the
//   normalization, plus u·|x − max| from rounding the shifted logit, so p·u·(8 + 2|x − max|);
// - elementwise ops: a few u relative.
//
// Reference values are computed in Double from the *same* (rounded) inputs, so the bound is
// only the engine's own arithmetic error. A result within bound passes; `worstRatio` (error /
// bound) is what `attend compare` prints as "error as a fraction of its bound".

enum Tolerance {
    /// Unit roundoff of a scalar type.
    static func unitRoundoff<T: TensorScalar>(_: T.Type) -> Double { Double(T.ulpOfOne) / 2 }

    /// γ_K·(|A|·|B|) + u·|C| elementwise, for a product whose reduction length is `k`.
    static func dotProductBound<T: TensorScalar>(
        _ absProduct: ReferenceArray<Double>, exact: ReferenceArray<Double>, k: Int, scalar: T.Type
    ) -> [Double] {
        let u = unitRoundoff(T.self)
        let gamma = Double(k) * u / (1 - Double(k) * u)
        return zip(absProduct.values, exact.values).map { gamma * $0 + u * Swift.abs($1) + Double.leastNormalMagnitude }
    }

    /// u·|s| + N·2⁻⁵³·Σ|x| for a sum of N terms accumulated in Double.
    static func sumBound<T: TensorScalar>(sum: [Double], absSum: [Double], n: Int, scalar: T.Type) -> [Double] {
        let u = unitRoundoff(T.self)
        return zip(sum, absSum).map { u * Swift.abs($0) + Double(n) * 0x1p-53 * $1 + Double.leastNormalMagnitude }
    }

    /// A relative bound of `ulps`·u·|x| (plus the smallest normal, so exact zeros compare).
    static func relativeBound<T: TensorScalar>(_ exact: [Double], ulps: Double, scalar: T.Type) -> [Double] {
        let u = unitRoundoff(T.self)
        return exact.map { ulps * u * Swift.abs($0) + Double(T.leastNormalMagnitude) }
    }
}

/// The worst elementwise error relative to its bound.
struct ErrorReport: CustomStringConvertible {
    var worstRatio = 0.0
    var worstIndex = -1
    var maxAbsError = 0.0
    var actual = 0.0, expected = 0.0, bound = 0.0

    init(actual: [Double], expected: [Double], bound: [Double]) {
        for i in actual.indices {
            let error = Swift.abs(actual[i] - expected[i])
            // NaN in either is an error unless both are NaN; equal infinities are exact.
            let ratio: Double
            if actual[i] == expected[i] || (actual[i].isNaN && expected[i].isNaN) { ratio = 0 }
            else if error.isNaN || error.isInfinite { ratio = .infinity }
            else { ratio = error / bound[i] }
            maxAbsError = Swift.max(maxAbsError, error.isNaN ? .infinity : error)
            if ratio > worstRatio || worstIndex < 0 {
                (worstRatio, worstIndex) = (ratio, i)
                (self.actual, self.expected, self.bound) = (actual[i], expected[i], bound[i])
            }
        }
    }

    var description: String {
        "worst error/bound \(worstRatio) at flat index \(worstIndex): got \(actual), expected \(expected), bound \(bound); max |error| \(maxAbsError)"
    }
}

/// Checks the shape first, then every element against its bound.
func expectWithinBound<T: TensorScalar>(
    _ actual: Tensor<T>, _ expected: ReferenceArray<Double>, bound: [Double],
    _ context: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "shape \(actual.shape) vs reference \(expected.shape) \(context())", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let report = ErrorReport(actual: actual.scalars.map { Double($0) }, expected: expected.values, bound: bound)
    #expect(report.worstRatio <= 1, "\(report) \(context())", sourceLocation: sourceLocation)
}

/// Exact comparison with printed values (seed notebooks), within a stated absolute tolerance.
func expectValues<T: TensorScalar>(
    _ actual: Tensor<T>, shape: [Int], _ expected: [Double], absoluteTolerance: Double = 0,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == shape, "shape \(actual.shape), expected \(shape)", sourceLocation: sourceLocation)
    guard actual.shape == shape else { return }
    let values = actual.scalars.map { Double($0) }
    #expect(values.count == expected.count, "got \(values.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    let worst = zip(values, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(worst <= absoluteTolerance, "got \(values), expected \(expected)", sourceLocation: sourceLocation)
}
