/// Reordering of column-major (Fortran-order) element bytes into row-major (C) order.
enum FortranOrder {
    /// `bytes` holds the elements of an array of `shape` in Fortran order (first axis fastest),
    /// each `width` bytes wide. Returns the same elements in C order (last axis fastest).
    /// The caller guarantees `bytes.count == product(shape) * width`.
    static func toCOrder(_ bytes: [UInt8], shape: [Int], width: Int) -> [UInt8] {
        let rank = shape.count
        let count = bytes.count / max(width, 1)
        guard rank > 1, count > 1 else { return bytes }
        // Element strides of each axis in the Fortran-order source.
        var sourceStrides = [Int](repeating: 1, count: rank)
        for axis in 1..<rank { sourceStrides[axis] = sourceStrides[axis - 1] * shape[axis - 1] }

        var output = [UInt8](repeating: 0, count: bytes.count)
        var index = [Int](repeating: 0, count: rank)
        var source = 0
        bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                guard let inputBase = input.baseAddress, let outputBase = out.baseAddress else { return }
                for destination in 0..<count {
                    (outputBase + destination * width).copyMemory(from: inputBase + source * width, byteCount: width)
                    // Advance the C-order odometer, last axis fastest.
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        source += sourceStrides[axis]
                        if index[axis] < shape[axis] { break }
                        source -= sourceStrides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return output
    }
}
