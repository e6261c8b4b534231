import _AttendKernels

/// Exact widening of the 16-bit float formats to `Float`.
///
/// Every float16 (IEEE 754 binary16) and bfloat16 value, including subnormals, infinities and NaN,
/// is exactly representable as a binary32 `Float`, so these conversions never round.
enum HalfFloatBits {
    /// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits — the kernel family's
    /// decoder (`attend_half_to_float`), which the quantized kernels inline for block scales.
    @inline(__always)
    static func float(fromFloat16Bits bits: UInt16) -> Float { attend_half_to_float(bits) }

    /// bfloat16 is the top half of a binary32.
    static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
