import AttendReference
import AttendVerification
import Foundation
import Testing
import _AttendKernels

@testable import Attend

/// The kernel family's row passes (bias + activation, bias + residual + LayerNorm) on every path
/// this CPU runs, against the Double reference within the policy's bounds for Float evaluation.
@Suite("Kernel family row passes")
struct RowPassTests {
    /// GELU inputs across the whole range that matters — dense on [−15, 15] (beyond ±14 the
    /// kernel's cutoffs) — and the edges.
    static let geluInputs: [Float] =
        stride(from: Float(-15), through: 15, by: 0.000_731).map { $0 }
        + [
            0, -0.0, 1e-30, -1e-30, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, 3e38, -3e38,
            13.99, -13.99, 14, -14, 14.01,
        ]

    @Test(
        "bias + erf GELU is within 12 u of the Double reference (plus the bias sum's rounding)",
        arguments: KernelPath.supported)
    func gelu(path: KernelPath) {
        var generator = SeededGenerator(seed: 41)
        let cols = 37  // a masked tail on every path
        let x = Self.geluInputs
        let rows = (x.count + cols - 1) / cols
        let bias = Tensor<Float>.randn([cols], using: &generator).scalars.map { $0 * 0.01 }
        var data = (0..<(rows * cols)).map { $0 < x.count ? x[$0] : 0 }
        let input = data
        bias.withUnsafeBufferPointer { b in
            path.kernels.bias_activation(&data, rows, cols, cols, b.baseAddress, ATTEND_ACTIVATION_GELU)
        }
        let bounds = ErrorBounds.float
        var worst = 0.0
        var worstAt: Float = 0
        for i in data.indices {
            let sum = Double(input[i]) + Double(bias[i % cols])  // exact
            let exact = 0.5 * sum * (1 + Foundation.erf(sum / 2.0.squareRoot()))
            // The bias sum rounds once (u·|x|) and GELU carries it with its Lipschitz constant.
            let bound =
                bounds.familyGELURounding(input: sum, output: exact) + ErrorBounds.geluLipschitz * bounds.u * abs(sum)
            let ratio = abs(Double(data[i]) - exact) / bound
            if !(ratio <= worst) {
                worst = ratio
                worstAt = input[i]
            }
        }
        #expect(worst <= 1, "\(path): worst error/bound \(worst) at x = \(worstAt)")
    }

    @Test(
        "GELU keeps NaN, maps +∞ to +∞ and −∞ to NaN (as 0.5·x·(1 + erf(x/√2)) does), ReLU keeps NaN",
        arguments: KernelPath.supported)
    func specialValues(path: KernelPath) {
        var gelu: [Float] = [.nan, .infinity, -.infinity, 0]
        path.kernels.bias_activation(&gelu, 1, 4, 4, nil, ATTEND_ACTIVATION_GELU)
        #expect(gelu[0].isNaN && gelu[1] == .infinity && gelu[2].isNaN && gelu[3] == 0)
        var relu: [Float] = [.nan, -.infinity, -1, 2, .infinity]
        path.kernels.bias_activation(&relu, 1, 5, 5, nil, ATTEND_ACTIVATION_RELU)
        #expect(relu[0].isNaN && relu[1] == 0 && relu[2] == 0 && relu[3] == 2 && relu[4] == .infinity)
    }

    @Test(
        "bias + ReLU and the plain bias are exact: one rounding of x + b, then max(0, ·)",
        arguments: KernelPath.supported)
    func reluAndBias(path: KernelPath) {
        var generator = SeededGenerator(seed: 5)
        let (rows, cols) = (9, 29)
        let x = Tensor<Float>.randn([rows, cols], using: &generator).scalars
        let bias = Tensor<Float>.randn([cols], using: &generator).scalars
        for kind in [ATTEND_ACTIVATION_NONE, ATTEND_ACTIVATION_RELU] {
            var data = x
            bias.withUnsafeBufferPointer { path.kernels.bias_activation(&data, rows, cols, cols, $0.baseAddress, kind) }
            let expected = x.indices.map { i -> Float in
                let v = x[i] + bias[i % cols]
                return kind == ATTEND_ACTIVATION_RELU ? max(0, v) : v
            }
            #expect(data == expected, "\(path), activation \(kind.rawValue)")
        }
    }

    @Test(
        "bias + residual + LayerNorm in one Float pass is within the policy's Float LayerNorm bound",
        arguments: KernelPath.supported, [7, 64, 384, 385])
    func residualLayerNorm(path: KernelPath, cols: Int) throws {
        var generator = SeededGenerator(seed: UInt64(cols))
        let rows = 6
        let x = Tensor<Float>.randn([rows, cols], using: &generator).scalars
        // Residual rows with a large common offset: the mean subtraction must not lose the deviations.
        let residual = Tensor<Float>.randn([rows, cols], using: &generator).scalars.map { $0 + 30 }
        let bias = Tensor<Float>.randn([cols], using: &generator).scalars
        let gamma = Tensor<Float>.randn([cols], using: &generator).scalars
        let beta = Tensor<Float>.randn([cols], using: &generator).scalars
        let eps: Float = 1e-12
        var out = residual  // in place over the residual, as the encoder runs it
        path.kernels.residual_layernorm(
            &out, cols, x, cols, residual, cols, bias, gamma, beta, rows, cols, eps)
        // The reference normalizes the exact sum; the two Float additions before the pass are
        // carried through LayerNorm's Jacobian.
        let bound = ForwardErrorBound(Float.self, rowPasses: .family)
        let sums = x.indices.map { Double(x[$0]) + Double(bias[$0 % cols]) + Double(residual[$0]) }
        let sumErrors = x.indices.map {
            2 * bound.u * (abs(Double(x[$0])) + abs(Double(bias[$0 % cols])) + abs(Double(residual[$0])))
        }
        let input = BoundedArray(
            ReferenceArray(shape: [rows, cols], values: sums),
            error: ReferenceArray(shape: [rows, cols], values: sumErrors))
        let expected = try bound.layerNorm(
            input, normalizedDims: 1, weight: ReferenceArray(shape: [cols], values: gamma.map(Double.init)),
            bias: ReferenceArray(shape: [cols], values: beta.map(Double.init)), eps: Double(eps))
        expectWithinBound(
            try Tensor(shape: [rows, cols], scalars: out), expected.value, bound: expected.error.values,
            "\(path), \(cols) columns")
    }
}
