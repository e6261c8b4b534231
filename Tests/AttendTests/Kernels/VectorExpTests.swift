import Foundation
import Testing

@testable import Attend

@Suite("Vectorized exp")
struct VectorExpTests {
    /// Inputs across the softmax's range (x − max ∈ [−87.3, 0]) plus the edges.
    static let inputs: [Float] =
        stride(from: Float(-87.3), through: 0, by: 0.0137).map { $0 } + [-0.0, -1e-30, -87.33, -88, -1000, -.infinity]

    /// Error in ulps of exp(x); below −87.33 (where exp is within a few ulps of the smallest
    /// normal) the kernels return exactly 0 by design, so only 0 is correct there.
    static func ulpError(_ value: Float, _ x: Float) -> Double {
        if x < -87.33 { return value == 0 ? 0 : .infinity }
        let exact = Foundation.exp(Double(x))
        guard exact >= Double(Float.leastNormalMagnitude) else {
            return value == 0 || Double(value) < 2e-38 ? 0 : .infinity
        }
        return Swift.abs(Double(value) - exact) / Double(Float(exact).ulp)
    }

    @Test("the portable Swift SIMD exp is within 2 ulp of exp on [−87.3, 0] and gives exactly 0 below −87.33 and at −∞")
    func portable() {
        var values = Self.inputs
        let sum = values.withUnsafeMutableBufferPointer {
            exponentiateShifted($0.baseAddress!, count: $0.count, shift: 0)
        }
        let worst = zip(values, Self.inputs).map { Self.ulpError($0, $1) }.max()!
        #expect(worst <= 2, "worst \(worst) ulp")
        #expect(values.suffix(3).allSatisfy { $0 == 0 })
        let exactSum = Self.inputs.map { Foundation.exp(Double($0)) }.reduce(0, +)
        #expect(Swift.abs(Double(sum) - exactSum) <= 1e-5 * exactSum)
    }

    @Test("the AVX2 + FMA kernel computes the same function to within 1 ulp of the portable one (when the CPU has it)")
    func avx2MatchesPortable() throws {
        var portable = Self.inputs
        var vector = Self.inputs
        _ = portable.withUnsafeMutableBufferPointer {
            exponentiateShifted($0.baseAddress!, count: $0.count, shift: 0.5)
        }
        guard
            vector.withUnsafeMutableBufferPointer({
                avx2ExponentiateShifted($0.baseAddress!, count: $0.count, shift: 0.5)
            }) != nil
        else {
            return  // no AVX2 here: the portable path is the only one, tested above
        }
        for (a, b) in zip(portable, vector) {
            #expect(a == b || Swift.abs(a - b) <= a.ulp, "portable \(a) vs avx2 \(b)")
        }
        let errors = zip(vector, Self.inputs).map { Self.ulpError($0, $1 - 0.5) }
        let worst = errors.max()!
        let at = errors.firstIndex(of: worst)!
        #expect(worst <= 2, "worst \(worst) ulp at x = \(Self.inputs[at]) − 0.5: got \(vector[at])")
    }
}
