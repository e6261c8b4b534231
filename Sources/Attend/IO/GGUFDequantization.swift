import _AttendKernels

/// Dequantization of GGUF blocks into `Float` (layouts in ``GGUFTensorType``); the block types
/// run in C (`quant_dequantize_avx2.c` or `quant_dequantize_portable.c`, by ``KernelPath``; the
/// two give the same bits), so loading is fast in debug builds too.
enum GGUFDequantization {
    /// Decodes `count` elements (a whole number of blocks) of `type` from `source` into `destination`.
    /// `avx2` picks the block kernels (the process's ``KernelPath`` unless a test asks for one).
    static func dequantize(
        _ type: GGUFTensorType, from source: UnsafeRawPointer, count: Int,
        into destination: UnsafeMutablePointer<Float>,
        avx2: Bool = VectorKernels.avx2
    ) {
        let blocks = count / type.blockSize
        let w = source.assumingMemoryBound(to: UInt8.self)
        switch type {
        case .f32:
            for i in 0..<count {
                destination[i] = Float(
                    bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count { destination[i] = half(source, 2 * i) }
        case .q8_0:
            (avx2 ? attend_dequantize_q8_0_avx2 : attend_dequantize_q8_0_portable)(w, blocks, destination)
        case .q4_0:
            (avx2 ? attend_dequantize_q4_0_avx2 : attend_dequantize_q4_0_portable)(w, blocks, destination)
        case .q4_1:
            (avx2 ? attend_dequantize_q4_1_avx2 : attend_dequantize_q4_1_portable)(w, blocks, destination)
        }
    }

    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloatBits.float(
            fromFloat16Bits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
