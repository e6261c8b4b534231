import _AttendKernels

/// Dequantization of GGUF blocks into `Float` (layouts in ``GGUFTensorType``); the block types
/// run in C (`quant_matvec_portable.c`), so loading is fast in debug builds too.
enum GGUFDequantization {
    /// Decodes `count` elements (a whole number of blocks) of `type` from `source` into `destination`.
    static func dequantize(
        _ type: GGUFTensorType, from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0..<count {
                destination[i] = Float(
                    bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count { destination[i] = half(source, 2 * i) }
        case .q8_0:
            attend_dequantize_q8_0(source.assumingMemoryBound(to: UInt8.self), blocks, destination)
        case .q4_0:
            attend_dequantize_q4_0(source.assumingMemoryBound(to: UInt8.self), blocks, destination)
        case .q4_1:
            attend_dequantize_q4_1(source.assumingMemoryBound(to: UInt8.self), blocks, destination)
        }
    }

    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloatBits.float(
            fromFloat16Bits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
