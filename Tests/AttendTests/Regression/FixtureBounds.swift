import Attend
import AttendReference
import AttendVerification
import Foundation

// Error bounds of single ops, for one evaluation in the arithmetic of `scalar` (u =
// bounds.u); where the policy (ErrorBounds) states an op's formula, the op's bound calls it
// (log-softmax directly from the runner). Layers (attention, LayerNorm, GELU, multi-head attention, the
// encoder layer) use the stages of ForwardErrorBound.swift.
//
// A fixture's expected output is itself a float64 evaluation (NumPy, correctly rounded sums), so
// comparing a path with it involves two evaluations, each within its bound:
//
//     |engine − fixture|    ≤ B(Float) + B(Double)
//     |reference − fixture| ≤ B(Double) + B(Double)
//
// where B is the op's bound below. The fixture's float64 evaluation follows the same formulas with
// correctly rounded reductions, so it is within B(Double); hence the factor 2 on the Double
// reference's side — without it the reference could legitimately miss by the fixture's own
// rounding (for a 1-term product, for example, B(Double) is just 2⁻⁵³·|c|).

extension ForwardErrorBound {
    /// A sum of products (einsum, matmul, convolution): γ_k·(|A|∘|B|…) + u·|c|, where
    /// `magnitude` is the same op applied to |A|, |B|, … by the reference and `k` bounds the
    /// number of roundings any single product term can meet on its way into the result.
    func products(magnitude: ReferenceArray<Double>, exact: ReferenceArray<Double>, k: Int) -> [Double] {
        bounds.dotProduct(absProduct: magnitude.values, exact: exact.values, k: Swift.max(k, 0))
    }

    /// Einsum: ``ErrorBounds/einsum(_:_:exact:)``.
    func einsum(_ equation: String, _ operands: [ReferenceArray<Double>], exact: ReferenceArray<Double>) throws
        -> [Double]
    {
        try bounds.einsum(equation, operands, exact: exact.values)
    }

    /// softmax along `dim`: p·u·(8 + 2|x − max|) (README, "Tolerance policy"): a few u of relative
    /// error from exp, the sum and the normalization, plus the rounding of the shifted logit. −∞
    /// entries (p = 0) must be exactly 0.
    func softmax(_ x: ReferenceArray<Double>, dim: Int, exact p: ReferenceArray<Double>) throws -> [Double] {
        let shifted = try Reference.subtract(x, Reference.max(x, dims: [dim], keepDim: true))
        return p.values.indices.map { i in
            p.values[i] == 0
                ? underflow
                : bounds.softmaxWeight(
                    probability: p.values[i], logitError: 0, sharedError: 0, shift: shifted.values[i])
                    + underflow
        }
    }

    /// Σ over `dims`, accumulated in Double and rounded once:
    /// ``ErrorBounds/doubleAccumulatedSum(sum:absSum:n:)``.
    func sum(_ x: ReferenceArray<Double>, dims: [Int], keepDim: Bool, exact s: ReferenceArray<Double>) throws
        -> [Double]
    {
        let magnitude = try Reference.sum(x.magnitudes, dims: dims, keepDim: keepDim)
        return bounds.doubleAccumulatedSum(sum: s.values, absSum: magnitude.values, n: x.count / Swift.max(s.count, 1))
    }

    /// The mean: ``ErrorBounds/mean(_:absSum:n:)``.
    func mean(_ x: ReferenceArray<Double>, dims: [Int], keepDim: Bool, exact m: ReferenceArray<Double>) throws
        -> [Double]
    {
        let magnitude = try Reference.sum(x.magnitudes, dims: dims, keepDim: keepDim)
        return bounds.mean(m.values, absSum: magnitude.values, n: x.count / Swift.max(m.count, 1))
    }

    /// Exact ops (copies and selections: im2col, patchify, ReLU): only the floor.
    func exact(_ c: ReferenceArray<Double>) -> [Double] {
        bounds.relative(c.values, ulps: 0)
    }
}
