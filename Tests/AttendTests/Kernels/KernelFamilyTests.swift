import AttendReference
import AttendVerification
import Foundation
import Testing
import _AttendKernels

@testable import Attend

/// The kernel family as a whole: each instance's geometry, its exp, and its attention against the
/// portable instance's (the same schedule compiled without CPU-specific code). The kernels' own
/// suites (fused attention, quantized products, dequantization) run on every path this CPU has;
/// the instances it lacks are reported here as skipped, with the reason.
@Suite("Kernel family instances")
struct KernelFamilyTests {
    /// Inputs across the softmax's range (x − max ∈ [−87.3, 0]) plus the edges.
    static let expInputs: [Float] =
        stride(from: Float(-87.3), through: 0, by: 0.0137).map { $0 } + [-0.0, -1e-30, -87.33, -88, -1000, -.infinity]

    /// Error in ulps of exp(x); below −87.33 (where exp is within a few ulps of the smallest normal)
    /// the kernels return exactly 0 by design, so only 0 is correct there.
    static func ulpError(_ value: Float, _ x: Float) -> Double {
        if x < -87.33 { return value == 0 ? 0 : .infinity }
        let exact = Foundation.exp(Double(x))
        guard exact >= Double(Float.leastNormalMagnitude) else {
            return value == 0 || Double(value) < 2e-38 ? 0 : .infinity
        }
        return Swift.abs(Double(value) - exact) / Double(Float(exact).ulp)
    }

    @Test(
        "each instance's geometry: whole register tiles per query block, the policy's key block, its own lane count",
        arguments: KernelPath.allCases.filter(\.isCompiled))
    func geometry(path: KernelPath) {
        // Compiled on every x86-64 build whether or not this CPU runs it: the table is plain data.
        let kernels = path.kernels
        #expect(String(cString: kernels.name) == path.rawValue)
        #expect(kernels.lanes == [KernelPath.avx512: 16, .avx2: 8, .portable: 4][path])
        #expect(kernels.attention_tile_queries == 2 * kernels.lanes)
        #expect(kernels.attention_query_block % kernels.attention_tile_queries == 0)
        // The fused bound assumes the online softmax rescales at most once per 128 keys.
        #expect(kernels.attention_key_block >= ErrorBounds.fusedKeyBlock)
        #expect((1...16).contains(kernels.attention_tile_rows))
    }

    @Test(
        "exp is within 2 ulp of exp on [−87.3, 0], exactly 0 below −87.33 and at −∞, and within 1 ulp of the portable instance's",
        arguments: KernelPath.supported)
    func exponential(path: KernelPath) {
        for shift: Float in [0, 0.5] {
            var values = Self.expInputs
            let sum = values.withUnsafeMutableBufferPointer {
                path.kernels.exp_shift_sum($0.baseAddress!, $0.count, shift)
            }
            var portable = Self.expInputs
            _ = portable.withUnsafeMutableBufferPointer {
                KernelPath.portable.kernels.exp_shift_sum($0.baseAddress!, $0.count, shift)
            }
            let errors = zip(values, Self.expInputs).map { Self.ulpError($0, $1 - shift) }
            let worst = errors.max()!
            let at = errors.firstIndex(of: worst)!
            #expect(worst <= 2, "\(path) worst \(worst) ulp at x = \(Self.expInputs[at]) − \(shift): got \(values[at])")
            #expect(values.suffix(3).allSatisfy { $0 == 0 }, "\(path) shift \(shift)")
            for (a, b) in zip(portable, values) {
                #expect(a == b || Swift.abs(a - b) <= a.ulp, "\(path): portable \(a) vs \(b)")
            }
            let exactSum = Self.expInputs.map { Foundation.exp(Double($0 - shift)) }.reduce(0, +)
            #expect(Swift.abs(Double(sum) - exactSum) <= 1e-5 * exactSum, "\(path) sum \(sum) vs \(exactSum)")
        }
    }

    @Test(
        "attention on each path agrees with the portable instance within the sum of their fused bounds (every mask kind, tiles' tails, decode)",
        arguments: KernelPath.supported, ScaledDotProductAttentionTests.MaskKind.allCases)
    func attentionMatchesPortable(path: KernelPath, kind: ScaledDotProductAttentionTests.MaskKind) throws {
        try Self.expectAgreesWithPortable(path, kind: kind)
    }

    @Test(
        "the avx512 instance runs on this CPU",
        .enabled(
            if: KernelPath.avx512.isSupported(),
            "this CPU lacks AVX-512 F, BW, DQ and VL: the avx512 instance is compiled but cannot run here"))
    func avx512Runs() throws {
        try Self.expectAgreesWithPortable(.avx512, kind: .causal)
        try Self.expectAgreesWithPortable(.avx512, kind: .additive)
    }

    @Test(
        "the avx2 instance runs on this CPU",
        .enabled(
            if: KernelPath.avx2.isSupported(),
            "this CPU lacks AVX2 + FMA: the avx2 instance is compiled but cannot run here"))
    func avx2Runs() throws {
        try Self.expectAgreesWithPortable(.avx2, kind: .causal)
        try Self.expectAgreesWithPortable(.avx2, kind: .additive)
    }

    /// Shapes that cut every tile and block of every instance (Lq 1, 7, 33, 129; Lk 1, 7, 129,
    /// 300; Dk ≠ Dv, neither a multiple of 16), `path` against `.portable`, each within its fused
    /// bound of the exact result, hence within the sum of the two of each other.
    static func expectAgreesWithPortable(_ path: KernelPath, kind: ScaledDotProductAttentionTests.MaskKind) throws {
        var factory = TensorFactory(seed: 900 + UInt64(kind.rawValue.count))
        for (lq, lk, dk, dv) in [
            (1, 300, 40, 24), (7, 7, 13, 37), (33, 129, 64, 64), (129, 1, 80, 20), (129, 300, 24, 40),
        ] {
            let q: Tensor<Float> = factory.randn([2, 2, lq, dk])
            let k: Tensor<Float> = factory.randn([2, 2, lk, dk])
            let v: Tensor<Float> = factory.randn([2, 2, lk, dv])
            let mask = ScaledDotProductAttentionTests.mask(kind, b: 2, lq: lq, lk: lk, factory: &factory)
            let output = try KernelPath.withKernels(path) {
                try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask, algorithm: .fused).output
            }
            let portable = try KernelPath.withKernels(.portable) {
                try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask, algorithm: .fused).output
            }
            let bound = try AttentionBound(
                queries: q.reference, keys: k.reference, values: v.reference, scale: 1 / Double(dk).squareRoot(),
                mask: mask)
            let report = ErrorReport(
                actual: output.scalars.map(Double.init), expected: portable.scalars.map(Double.init),
                bound: bound.fusedOutput.map { 2 * $0 })
            #expect(
                report.worstRatio <= 1, "\(path) vs portable, \(kind) Lq=\(lq) Lk=\(lk) Dk=\(dk) Dv=\(dv): \(report)")
            #expect(output.scalars.map(\.isNaN) == portable.scalars.map(\.isNaN), "\(path) \(kind): NaN pattern")
        }
    }
}
