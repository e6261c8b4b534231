extension Reference {
    /// The NumPy broadcast of two shapes.
    ///
    /// Shapes are aligned at their last dims; a missing leading dim counts as 1. In each aligned
    /// position the sizes must be equal or one of them must be 1, and the result takes the other.
    /// Example: `[3, 1, 5]` and `[4, 1]` → `[3, 4, 5]`.
    /// - Throws: ``ReferenceError`` when some aligned pair has two different sizes, neither of them 1.
    public static func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
        try broadcastShapes(a, b, op: "broadcastShapes")
    }

    /// `broadcastShapes` whose error names the calling op.
    static func broadcastShapes(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for k in 0..<rank {
            // k counts from the end: k = 0 is the last dim.
            let sa = k < a.count ? a[a.count - 1 - k] : 1
            let sb = k < b.count ? b[b.count - 1 - k] : 1
            guard sa == sb || sa == 1 || sb == 1 else {
                throw ReferenceError.shapeMismatch(
                    op: op,
                    message:
                        "shapes \(formatShape(a)) and \(formatShape(b)) do not broadcast: dim \(-1 - k) has sizes \(sa) and \(sb) (aligned from the last dim, sizes must be equal or one of them 1)"
                )
            }
            result[rank - 1 - k] = sa == 1 ? sb : sa
        }
        return result
    }

    /// The strides with which an array of `shape` is read when broadcast to `target`
    /// (0 for dims that are missing or of size 1 and stretched). Requires that `shape` broadcasts to `target`.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = rowMajorStrides(shape)
        var result = [Int](repeating: 0, count: target.count)
        let offset = target.count - shape.count
        for k in 0..<shape.count {
            result[offset + k] = shape[k] == 1 ? 0 : own[k]
        }
        return result
    }

    /// Checks that `shape` broadcasts to exactly `target` (NumPy rule, one-directional) or throws.
    static func checkBroadcastable(_ shape: [Int], to target: [Int], op: String, what: String) throws {
        var ok = shape.count <= target.count
        if ok {
            let offset = target.count - shape.count
            for k in 0..<shape.count where shape[k] != 1 && shape[k] != target[offset + k] {
                ok = false
            }
        }
        guard ok else {
            throw ReferenceError.shapeMismatch(
                op: op,
                message:
                    "\(what) \(formatShape(shape)) does not broadcast to \(formatShape(target)) (aligned from the last dim, each size must equal the target's or be 1)"
            )
        }
    }

    /// The flat positions in an array of `shape` of every element of `target`, visited in row-major order,
    /// when the array is broadcast to `target`.
    static func broadcastOffsets(_ shape: [Int], to target: [Int]) -> [Int] {
        let strides = broadcastStrides(shape, to: target)
        var offsets: [Int] = []
        offsets.reserveCapacity(elementCount(target))
        forEachIndex(target) { index in
            var offset = 0
            for k in 0..<index.count { offset += index[k] * strides[k] }
            offsets.append(offset)
        }
        return offsets
    }

    /// Broadcasts several batch shapes together and returns, for every batch of the result
    /// (row-major), the flat batch number to read in each operand.
    static func broadcastBatches(_ shapes: [[Int]], op: String) throws -> (shape: [Int], batches: [[Int]]) {
        var shape: [Int] = []
        for s in shapes { shape = try broadcastShapes(shape, s, op: op) }
        let perOperand = shapes.map { broadcastOffsets($0, to: shape) }
        let total = elementCount(shape)
        var batches: [[Int]] = []
        batches.reserveCapacity(total)
        for n in 0..<total { batches.append(perOperand.map { $0[n] }) }
        return (shape, batches)
    }
}
