import _AttendKernels

#if canImport(Glibc)
    import Glibc
#endif

// Vectorized exp for the attention hot loop (B·H·Lq·Lk evaluations). This Swift SIMD version is
// the portable path; on CPUs with AVX2 and FMA the fused kernel calls the same algorithm
// compiled for 8-wide FMA in the `_AttendKernels` C target (see ``VectorKernels``).
//
// exp(x) = 2ⁿ · e^r with n = round(x·log₂e) and r = x − n·ln 2 (ln 2 split in two parts so the
// reduction is exact to ~1 ulp), e^r ∈ [e^(−ln2/2), e^(ln2/2)] from a degree-6 minimax
// polynomial (the classic Cephes `expf` coefficients), and 2ⁿ built in the exponent bits.
// Measured accuracy against Double `exp` over [−87, 0]: ≤ 2 ulp (see VectorExpTests).
// Inputs below −87.33 (including −∞) give exactly 0, which is what masked scores need; the
// softmax only ever evaluates exp(s − max) ≤ 1, so large positive inputs are clamped at 88.

@inline(__always)
func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let underflow = x .< -87.33
    // Clamp with selects (SIMD's clamped/pointwiseMin are not inlined in generic-free code).
    let clamped = x.replacing(with: -87.33, where: underflow).replacing(with: 88, where: x .> 88)
    // Round x·log₂e to the nearest integer n with the 1.5·2²³ trick: after the addition the
    // low mantissa bits of t hold n exactly (two's complement), so no float→int conversion is
    // needed for 2ⁿ either.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let t = clamped * 1.442_695_04 + magic
    let n = t - magic
    var r = clamped - n * 0.693_359_375  // ln2 high part (exact product)
    r = r - n * -2.121_944_40e-4  // ln2 low part
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    p = p * (r * r) + r + 1
    let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD8<UInt32>.self) &+ 127) &<< 23, to: SIMD8<Float>.self)
    return (p * scale).replacing(with: 0, where: underflow)
}

/// Scalar form of ``vectorExp(_:)`` with the same accuracy, for tails.
@inline(__always)
func vectorExp(_ x: Float) -> Float {
    vectorExp(SIMD8(repeating: x))[0]
}

/// In place: xᵢ ← exp(xᵢ − shift) for i < count; returns Σ exp(xᵢ − shift) (in Float,
/// pairwise over the 8 SIMD lanes).
@inline(__always)
func exponentiateShifted(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
    var i = 0
    var total = SIMD8<Float>(repeating: 0)
    let s = SIMD8<Float>(repeating: shift)
    while i + 8 <= count {
        let raw = UnsafeMutableRawPointer(x + i)
        let e = vectorExp(raw.loadUnaligned(as: SIMD8<Float>.self) - s)
        raw.storeBytes(of: e, as: SIMD8<Float>.self)
        total += e
        i += 8
    }
    var tail: Float = 0
    while i < count {
        let e = vectorExp(x[i] - shift)
        x[i] = e
        tail += e
        i += 1
    }
    return total.sum() + tail
}

/// max of x[0..<count] (−∞ when empty); NaN-unaware (scores are finite or −∞).
@inline(__always)
func rowMaximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var i = 0
    var best = SIMD8<Float>(repeating: -.infinity)
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        best = best.replacing(with: v, where: v .> best)
        i += 8
    }
    var m = best.max()
    while i < count {
        m = Swift.max(m, x[i])
        i += 1
    }
    return m
}

/// Whether the vector exp/max of the sgemm-tiled paths use the AVX2 + FMA versions in
/// `_AttendKernels` (compiled with per-function target attributes, so the package needs no
/// compiler flags) or the portable Swift SIMD ones above: the ``KernelPath`` in use.
enum VectorKernels {
    static let avx2: Bool = KernelPath.active == .avx2
}

/// The AVX2 + FMA kernel through Swift (nil on CPUs without it) — for tests and benchmarks that
/// compare the two paths.
func avx2ExponentiateShifted(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float? {
    attend_cpu_has_avx2_fma() ? attend_exp_shift_sum_avx2(x, count, shift) : nil
}
