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

    /// Einsum: each output sums N products of m factors, N counted by the reference itself (the
    /// equation applied to all-ones operands). However the engine orders and pairs the work, a
    /// term meets at most N − 1 additions and m − 1 multiplications, so k = N + m − 2. (Pairwise
    /// GEMMs contracting J then K terms give γ_J + γ_K ≤ γ_{J·K+1}.)
    func einsum(_ equation: String, _ operands: [ReferenceArray<Double>], exact: ReferenceArray<Double>) throws
        -> [Double]
    {
        let magnitude = try Reference.einsum(equation, operands.map(\.magnitudes))
        let terms = try Reference.einsum(equation, operands.map { ReferenceArray(shape: $0.shape, repeating: 1) })
        let n = Int(terms.values.max() ?? 1)
        return products(magnitude: magnitude, exact: exact, k: n + operands.count - 2)
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

    /// Pairwise squared distances Σ_d (a − b)² evaluated directly: a length-D dot product of the
    /// difference with itself, whose terms carry two more roundings (the difference, doubled by
    /// squaring), so γ_{D+2}·Σ(a − b)² + u·|c|.
    func squaredDistancesDirect(exact c: ReferenceArray<Double>, pointDimension d: Int) -> [Double] {
        products(magnitude: c, exact: c, k: d + 2)
    }

    /// Squared distances by the GEMM form ‖a′‖² + ‖b′‖² − 2·a′·b′ on centred points a′ = a − c,
    /// b′ = b − c, c the mean of all N + M points: each of the three terms is a length-D sum of
    /// products, and the two additions and the centring (relative u on each coordinate of a′ and
    /// b′, which moves the distance by ≤ 2u·|a′ − b′|·(|a′| + |b′|)) add a few roundings, so
    /// γ_{D+5}·(‖a′‖² + ‖b′‖² + 2|a′|·|b′|) + u·|result|. Distances do not change under the
    /// translation, so c only needs to be near the data, not exact; without it the bound would
    /// grow with ‖a‖² + ‖b‖², the cancellation centring removes.
    func squaredDistancesCentredGEMM(
        _ a: ReferenceArray<Double>, _ b: ReferenceArray<Double>, exact: ReferenceArray<Double>
    ) throws -> [Double] {
        let total = try Reference.add(
            Reference.sum(a, dim: -2, keepDim: true), Reference.sum(b, dim: -2, keepDim: true))
        let centre = Reference.map(total) { $0 / Double(a.shape[a.rank - 2] + b.shape[b.rank - 2]) }  // [..., 1, D]
        let (left, right) = (try Reference.subtract(a, centre), try Reference.subtract(b, centre))
        let normsLeft = try Reference.sum(Reference.map(left) { $0 * $0 }, dim: -1, keepDim: true)  // [..., N, 1]
        let normsRight = try Reference.transposed(
            Reference.sum(Reference.map(right) { $0 * $0 }, dim: -1, keepDim: true), -2, -1)  // [..., 1, M]
        // [..., N, M]
        let cross = try Reference.matmul(left.magnitudes, Reference.transposed(right.magnitudes, -2, -1))
        let magnitude = try Reference.add(Reference.add(normsLeft, normsRight), Reference.map(cross) { 2 * $0 })
        return products(magnitude: magnitude, exact: exact, k: a.shape[a.rank - 1] + 5)
    }

    /// Exact ops (copies and selections: im2col, patchify, ReLU): only the floor.
    func exact(_ c: ReferenceArray<Double>) -> [Double] {
        bounds.relative(c.values, ulps: 0)
    }
}
