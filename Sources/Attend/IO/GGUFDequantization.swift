import _AttendKernels

/// Dequantization of GGUF blocks into `Float` (layouts in ``GGUFTensorType``); the block types
/// run in the kernel family (`_AttendKernels/family/quantized.h`, on the ``KernelPath`` given;
/// every path gives the same bits), so loading is fast in debug builds too.
enum GGUFDequantization {
    /// Decodes `count` elements (a whole number of blocks) of `type` from `source` into `destination`.
    /// Callers on worker threads pass the path their caller read (``KernelPath/active`` is per task).
    static func dequantize(
        _ type: GGUFTensorType, from source: UnsafeRawPointer, count: Int,
        into destination: UnsafeMutablePointer<Float>, on path: KernelPath = .active
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
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .q8_0: path.kernels.dequantize_q8_0(w, blocks, destination)
        case .q4_0: path.kernels.dequantize_q4_0(w, blocks, destination)
        case .q4_1: path.kernels.dequantize_q4_1(w, blocks, destination)
        case .q5_0: path.kernels.dequantize_q5_0(w, blocks, destination)
        case .q5_1: path.kernels.dequantize_q5_1(w, blocks, destination)
        case .q4_K: path.kernels.dequantize_q4_k(w, blocks, destination)
        case .q5_K: path.kernels.dequantize_q5_k(w, blocks, destination)
        case .q6_K: path.kernels.dequantize_q6_k(w, blocks, destination)
        }
    }

    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloatBits.float(
            fromFloat16Bits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
