/// Dequantization of GGUF blocks into `Float` (layouts in ``GGUFTensorType``).
enum GGUFDequantization {
    /// Decodes `count` elements (a whole number of blocks) of `type` from `source` into `destination`.
    static func dequantize(
        _ type: GGUFTensorType, from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<count { destination[i] = half(source, 2 * i) }
        case .q8_0:
            for b in 0..<blocks {
                let block = source + b * 34
                let d = half(block, 0)
                let out = destination + b * 32
                for j in 0..<32 { out[j] = d * Float(Int8(bitPattern: block.load(fromByteOffset: 2 + j, as: UInt8.self))) }
            }
        case .q4_0:
            for b in 0..<blocks {
                let block = source + b * 18
                let d = half(block, 0)
                let out = destination + b * 32
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    out[j] = d * Float(Int(byte & 0x0F) - 8)
                    out[j + 16] = d * Float(Int(byte >> 4) - 8)
                }
            }
        case .q4_1:
            for b in 0..<blocks {
                let block = source + b * 20
                let d = half(block, 0), m = half(block, 2)
                let out = destination + b * 32
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    out[j] = d * Float(byte & 0x0F) + m
                    out[j + 16] = d * Float(byte >> 4) + m
                }
            }
        }
    }

    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloatBits.float(fromFloat16Bits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
