/// Exact widening of the 16-bit float formats to `Float`.
///
/// Every float16 (IEEE 754 binary16) and bfloat16 value, including subnormals, infinities and NaN,
/// is exactly representable as a binary32 `Float`, so these conversions never round.
enum HalfFloatBits {
    /// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
    static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32((bits >> 10) & 0x1F)
        let fraction = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction × 2⁻²⁴, exact in binary32.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (fraction << 13))
        }
    }

    /// bfloat16 is the top half of a binary32.
    static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
