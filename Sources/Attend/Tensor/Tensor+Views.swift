// Views: new shapes and strides over the same buffer. None of these copy, except
// `reshaped` when the strides make a view impossible (and `contiguous()`, by design).

extension Tensor {
    /// Swaps two dimensions — PyTorch's `transpose(a, b)`. A view: only the strides swap.
    ///
    ///     k.transposed(-2, -1)   // [B, H, L, D] → [B, H, D, L]
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        let a = dimOrTrap(first, "transposed")
        let b = dimOrTrap(second, "transposed")
        var shape = self.shape
        var strides = self.strides
        shape.swapAt(a, b)
        strides.swapAt(a, b)
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Reorders all dimensions — PyTorch's `permute`. Result dimension `i` is input dimension
    /// `order[i]`. A view.
    /// - Throws: ``TensorError`` when `order` is not a permutation of the dimensions.
    public func permuted(_ order: [Int]) throws -> Tensor {
        let resolved = try order.map { try normalizedDim($0, rank: rank, op: "permuted") }
        guard resolved.count == rank, Set(resolved).count == rank else {
            throw TensorError(
                op: "permuted",
                "\(order) is not a permutation of the \(rank) dimensions of a tensor of shape \(describe(shape))")
        }
        return Tensor(
            storage: storage, shape: resolved.map { shape[$0] }, strides: resolved.map { strides[$0] }, offset: offset)
    }

    /// Variadic form of ``permuted(_:)-([Int])``: `x.permuted(0, 2, 1, 3)`.
    /// - Throws: ``TensorError`` when `order` is not a permutation of 0..<rank.
    public func permuted(_ order: Int...) throws -> Tensor { try permuted(order) }

    /// The same elements under a new shape, without copying — PyTorch's `.view`. One entry may
    /// be `-1` (inferred).
    ///
    /// - Throws: ``TensorError`` when the element counts differ, or when the strides make a
    ///   view impossible (e.g. merging the dimensions of a transposed tensor); the message says
    ///   to call `contiguous()` first or use ``reshaped(_:)-([Int])``, which copies when it must.
    public func view(_ newShape: [Int]) throws -> Tensor {
        let target = try inferredShape(newShape, op: "view")
        guard let newStrides = viewStrides(for: target) else {
            throw TensorError(
                op: "view",
                "cannot view a tensor of shape \(describe(shape)) with strides \(describe(strides)) as \(describe(target)): "
                    + "the dimensions being merged are not adjacent in memory (e.g. after a transpose). "
                    + "Call .contiguous() first, or use .reshaped(_:), which copies only when it must")
        }
        return Tensor(storage: storage, shape: target, strides: newStrides, offset: offset)
    }

    /// Variadic form of ``view(_:)-([Int])``.
    /// - Throws: ``TensorError`` as the array form does (element counts differ, or strides that no view of the
    ///   new shape can express).
    public func view(_ newShape: Int...) throws -> Tensor { try view(newShape) }

    /// The same elements under a new shape: a view when the strides allow one, otherwise a
    /// contiguous copy — PyTorch's `reshape`. One entry may be `-1`.
    /// - Throws: ``TensorError`` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let target = try inferredShape(newShape, op: "reshaped")
        if let newStrides = viewStrides(for: target) {
            return Tensor(storage: storage, shape: target, strides: newStrides, offset: offset)
        }
        return try materialized().view(target)
    }

    /// Variadic form of ``reshaped(_:)-([Int])``.
    /// - Throws: ``TensorError`` when the element counts differ (or the shape has more than one −1).
    public func reshaped(_ newShape: Int...) throws -> Tensor { try reshaped(newShape) }

    /// Inserts a dimension of size 1 at `dim` (PyTorch `unsqueeze`, NumPy `None`). `dim` may be
    /// `rank` (append) or negative (`-1` appends). A view.
    public func unsqueezed(_ dim: Int) -> Tensor {
        let position = dim < 0 ? dim + rank + 1 : dim
        precondition(
            (0...rank).contains(position),
            "unsqueezed: dimension \(dim) out of range for a tensor of rank \(rank) (valid: \(-rank - 1) ... \(rank))")
        var shape = self.shape
        var strides = self.strides
        // The stride of a size-1 dimension never matters; pick the natural one.
        let stride = position < rank ? strides[position] * shape[position] : 1
        shape.insert(1, at: position)
        strides.insert(stride, at: position)
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Removes a dimension of size 1. A view.
    /// - Throws: ``TensorError`` when that dimension's size is not 1.
    public func squeezed(_ dim: Int) throws -> Tensor {
        let axis = try normalizedDim(dim, rank: rank, op: "squeezed")
        guard rank > 0, shape[axis] == 1 else {
            throw TensorError(
                op: "squeezed",
                "dimension \(dim) of shape \(describe(shape)) has size \(rank > 0 ? shape[axis] : 1), not 1")
        }
        var shape = self.shape
        var strides = self.strides
        shape.remove(at: axis)
        strides.remove(at: axis)
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Broadcasts to a larger shape without copying — PyTorch's `expand`: dimensions of size 1
    /// get stride 0, new leading dimensions are added, and `-1` keeps a size.
    /// - Throws: ``TensorError`` naming both shapes when a dimension is neither equal nor 1.
    public func expanded(to target: [Int]) throws -> Tensor {
        guard target.count >= rank else {
            throw TensorError(
                op: "expanded",
                "cannot expand shape \(describe(shape)) to \(describe(target)): the target has fewer dimensions")
        }
        let lead = target.count - rank
        var newShape: [Int] = []
        var newStrides: [Int] = []
        for (axis, size) in target.enumerated() {
            if axis < lead {
                guard size >= 0 else {
                    throw TensorError(
                        op: "expanded", "new leading dimension \(axis) of \(describe(target)) cannot be \(size)")
                }
                newShape.append(size)
                newStrides.append(0)
                continue
            }
            let own = shape[axis - lead]
            if size == -1 || size == own {
                newShape.append(own)
                newStrides.append(strides[axis - lead])
            } else if own == 1, size >= 0 {
                newShape.append(size)
                newStrides.append(0)
            } else {
                throw TensorError(
                    op: "expanded",
                    "cannot expand shape \(describe(shape)) to \(describe(target)): dimension \(axis - lead) has size \(own), "
                        + "which is neither \(size) nor 1 (only size-1 dimensions broadcast)")
            }
        }
        // A broadcast view needs no memory, but its element count must still be countable.
        _ = try checkedElementCount(newShape, op: "expanded")
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// Elements `start ..< start + length` along `dim` — PyTorch's `narrow`. A view.
    /// - Throws: ``TensorError`` when the range leaves the dimension.
    public func narrowed(_ dim: Int, start: Int, length: Int) throws -> Tensor {
        guard length >= 0 else {
            throw TensorError(
                op: "narrowed", "length \(length) is negative (narrowing dimension \(dim) of shape \(describe(shape)))")
        }
        return try sliced(dim, start..<start + length)
    }

    /// Elements `range` along `dim`, every `step`-th one — Python's `x[:, a:b:step]`. A view.
    /// - Throws: ``TensorError`` when the range leaves the dimension or `step < 1`.
    public func sliced(_ dim: Int, _ range: Range<Int>, step: Int = 1) throws -> Tensor {
        let axis = try normalizedDim(dim, rank: rank, op: "sliced")
        guard rank > 0, range.lowerBound >= 0, range.upperBound <= shape[axis], step >= 1 else {
            throw TensorError(
                op: "sliced",
                "range \(range.lowerBound)..<\(range.upperBound) (step \(step)) does not fit dimension \(dim) of size \(rank > 0 ? shape[axis] : 0) in shape \(describe(shape))"
            )
        }
        var shape = self.shape
        var strides = self.strides
        shape[axis] = (range.count + step - 1) / step
        strides[axis] *= step
        return Tensor(
            storage: storage, shape: shape, strides: strides, offset: offset + range.lowerBound * self.strides[axis])
    }

    /// Index `index` along `dim`, removing that dimension — Python's `x[:, i]`. A view.
    /// - Throws: ``TensorError`` when `dim` or `index` is out of range.
    public func selected(_ dim: Int, _ index: Int) throws -> Tensor {
        try sliced(dim, index..<index + 1).squeezed(dim)
    }

    /// Sliding windows along `dim` — PyTorch's `Tensor.unfold(dim, size, step)`. A view whose
    /// windows overlap in memory when `step < size`.
    ///
    /// Dimension `dim` becomes the window index, of length `(n − size) / step + 1`, with stride
    /// `step · s`; a new last dimension of length `size` walks inside a window with stride `s`
    /// (where `s` is the original stride of `dim`). For a contiguous 1-D signal that gives
    /// strides `(1, 1)` for step 1 and `(3, 1)` for step 3.
    /// - Throws: ``TensorError`` when `size` exceeds the dimension or `step < 1`.
    public func unfolded(_ dim: Int, size: Int, step: Int) throws -> Tensor {
        let axis = try normalizedDim(dim, rank: rank, op: "unfolded")
        let length = rank == 0 ? 1 : shape[axis]
        guard size >= 1, step >= 1, size <= length else {
            throw TensorError(
                op: "unfolded",
                "window size \(size) with step \(step) does not fit dimension \(dim) of size \(length) (need 1 <= size <= \(length), step >= 1)"
            )
        }
        if rank == 0 { return try view([1]) }
        var shape = self.shape
        var strides = self.strides
        shape[axis] = (length - size) / step + 1
        strides[axis] = self.strides[axis] * step
        shape.append(size)
        strides.append(self.strides[axis])
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Flattens dimensions `start ... end` into one (a view when possible, like `reshaped`).
    /// - Throws: ``TensorError`` when `start` or `end` is out of range or `start` > `end`.
    public func flattened(start: Int = 0, end: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshaped([1]) }
        let a = try normalizedDim(start, rank: rank, op: "flattened")
        let b = try normalizedDim(end, rank: rank, op: "flattened")
        guard a <= b else {
            throw TensorError(op: "flattened", "start dimension \(start) comes after end dimension \(end)")
        }
        return try reshaped(Array(shape[..<a]) + [shape[a...b].reduce(1, *)] + Array(shape[(b + 1)...]))
    }

    // MARK: - Helpers

    func dimOrTrap(_ dim: Int, _ op: String) -> Int {
        do { return try normalizedDim(dim, rank: rank, op: op) } catch { preconditionFailure("\(error)") }
    }

    /// Resolves a `-1` entry and checks the element count.
    func inferredShape(_ requested: [Int], op: String) throws -> [Int] {
        let unknown = requested.indices.filter { requested[$0] == -1 }
        guard unknown.count <= 1, requested.allSatisfy({ $0 >= -1 }) else {
            throw TensorError(
                op: op, "shape \(describe(requested)) may hold at most one -1 and no other negative sizes")
        }
        var target = requested
        let known = try checkedElementCount(requested.filter { $0 != -1 }, op: op)
        if let slot = unknown.first {
            guard known != 0, count % known == 0 else {
                throw TensorError(
                    op: op,
                    "cannot infer the -1 in \(describe(requested)): \(count) elements of shape \(describe(shape)) do not divide into \(known)"
                )
            }
            target[slot] = count / known
        }
        let targetCount = try checkedElementCount(target, op: op)
        guard targetCount == count else {
            throw TensorError(
                op: op,
                "shape \(describe(requested)) holds \(targetCount) elements but the tensor of shape \(describe(shape)) has \(count)"
            )
        }
        return target
    }

    /// Strides that present this buffer as `target`, or nil when no such strides exist.
    /// Groups of old dimensions that map onto groups of new ones must be contiguous among
    /// themselves (the rule PyTorch's `view` uses).
    func viewStrides(for target: [Int]) -> [Int]? {
        if count == 0 { return contiguousStrides(for: target) }
        // Drop size-1 dimensions: their strides never matter.
        let old = shape.indices.filter { shape[$0] != 1 }.map { (size: shape[$0], stride: strides[$0]) }
        var result = Array(repeating: 0, count: target.count)
        var oldIndex = old.count - 1
        var newIndex = target.count - 1
        while newIndex >= 0 || oldIndex >= 0 {
            // Skip size-1 target dims; give them any consistent stride.
            if newIndex >= 0, target[newIndex] == 1 {
                result[newIndex] = newIndex + 1 < target.count ? result[newIndex + 1] * target[newIndex + 1] : 1
                newIndex -= 1
                continue
            }
            guard oldIndex >= 0, newIndex >= 0 else { return nil }
            // Take one contiguous chunk of old dims (from the inside out).
            var chunkSize = old[oldIndex].size
            var chunkStride = old[oldIndex].stride  // stride of the chunk's innermost dim
            let innermost = chunkStride
            oldIndex -= 1
            var newSize = target[newIndex]
            var newDims = [newIndex]
            newIndex -= 1
            while chunkSize != newSize {
                if chunkSize < newSize {
                    guard oldIndex >= 0, old[oldIndex].stride == chunkStride * old[oldIndex + 1].size else {
                        return nil
                    }
                    chunkSize *= old[oldIndex].size
                    chunkStride = old[oldIndex].stride
                    oldIndex -= 1
                } else {
                    guard newIndex >= 0 else { return nil }
                    if target[newIndex] != 1 { newSize *= target[newIndex] }
                    newDims.append(newIndex)
                    newIndex -= 1
                }
            }
            // Assign strides to the new dims of this chunk, inside out.
            var running = innermost
            for dim in newDims {
                result[dim] = running
                running *= target[dim]
            }
        }
        return result
    }
}
