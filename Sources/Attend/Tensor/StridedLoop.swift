/// The one place Attend walks strided memory.
///
/// An index space `shape` is visited in row-major order, one *row* (the innermost dimension)
/// at a time. For every operand the loop tracks the element offset where the row starts; the
/// caller's body then runs a tight inner loop over `count` elements with each operand's inner
/// stride. Adjacent dimensions that are contiguous for *every* operand are merged first, so a
/// contiguous tensor is one long row.
struct StridedLoop {
    /// The (possibly merged) shape that is walked.
    let shape: [Int]
    /// One stride array per operand, aligned with `shape`.
    let strides: [[Int]]

    /// Builds a loop over `shape`, merging dimensions where all operands allow it.
    /// Dimensions of size 1 are dropped (their stride never matters).
    init(shape: [Int], strides operandStrides: [[Int]]) {
        var mergedShape: [Int] = []
        var merged: [[Int]] = Array(repeating: [], count: operandStrides.count)
        for axis in shape.indices where shape[axis] != 1 {
            if let last = mergedShape.indices.last,
                operandStrides.indices.allSatisfy({ merged[$0][last] == operandStrides[$0][axis] * shape[axis] })
            {
                // The previous (outer) dimension steps exactly over one full run of this one.
                mergedShape[last] *= shape[axis]
                for op in operandStrides.indices { merged[op][last] = operandStrides[op][axis] }
            } else {
                mergedShape.append(shape[axis])
                for op in operandStrides.indices { merged[op].append(operandStrides[op][axis]) }
            }
        }
        self.shape = mergedShape
        self.strides = merged
    }

    /// Total number of elements visited.
    var elementCount: Int { shape.product }

    /// Calls `body(rowStarts, count, innerStrides)` once per row. `rowStarts[i]` is operand
    /// `i`'s element offset (relative to `baseOffsets[i]`) at the row's first element.
    /// A space with a zero-size dimension visits nothing; a rank-0 space visits one row of 1.
    @inline(__always)
    func forEachRow(
        baseOffsets: [Int],
        _ body: (_ rowStarts: [Int], _ count: Int, _ innerStrides: [Int]) -> Void
    ) {
        if shape.contains(0) { return }
        guard let innerCount = shape.last else {
            body(baseOffsets, 1, Array(repeating: 0, count: baseOffsets.count))
            return
        }
        let outerRank = shape.count - 1
        let inner = strides.map { $0[outerRank] }
        var index = Array(repeating: 0, count: outerRank)
        var starts = baseOffsets
        while true {
            body(starts, innerCount, inner)
            // Advance the outer multi-index like an odometer, updating each operand's offset.
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                for op in starts.indices { starts[op] += strides[op][axis] }
                if index[axis] < shape[axis] { break }
                for op in starts.indices { starts[op] -= strides[op][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

/// Row-major (C-order) strides for a shape, in elements.
func contiguousStrides(for shape: [Int]) -> [Int] {
    var strides = Array(repeating: 1, count: shape.count)
    var running = 1
    for axis in shape.indices.reversed() {
        strides[axis] = running
        running *= max(shape[axis], 1)
    }
    return strides
}
