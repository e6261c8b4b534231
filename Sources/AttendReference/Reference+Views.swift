// PyTorch's view ops, written as copies: each output element is read from the input at the
// logical index the view's definition gives.

extension Reference {
    /// Reorders dims: `out[i0, …, i(n-1)] = x[j]` where `j[dims[k]] = ik`, so
    /// `out.shape[k] = x.shape[dims[k]]` (torch.permute). `dims` must be a permutation of
    /// `0..<rank` (negative entries count from the end).
    /// - Throws: ``ReferenceError`` when `dims` is not a permutation of 0..<rank.
    public static func permuted<Scalar>(_ x: ReferenceArray<Scalar>, _ dims: [Int]) throws -> ReferenceArray<Scalar> {
        guard dims.count == x.rank else {
            throw ReferenceError.invalidArgument(
                op: "permuted",
                message:
                    "dims \(dims) has \(dims.count) entries but x \(formatShape(x.shape)) has rank \(x.rank) (one entry per dim)"
            )
        }
        let perm = try dims.map { try normalizedDim($0, rank: x.rank, op: "permuted", shape: x.shape) }
        guard Set(perm).count == perm.count else {
            throw ReferenceError.invalidArgument(
                op: "permuted",
                message:
                    "dims \(dims) repeats a dim of x \(formatShape(x.shape)) (dims must be a permutation of 0..<\(x.rank))"
            )
        }
        let shape = perm.map { x.shape[$0] }
        var out = ReferenceArray<Scalar>(shape: shape, repeating: 0)
        var source = [Int](repeating: 0, count: x.rank)
        var n = 0
        forEachIndex(shape) { index in
            for k in 0..<perm.count { source[perm[k]] = index[k] }
            out.values[n] = x[source]
            n += 1
        }
        return out
    }

    /// Swaps two dims: `out[…, i, …, j, …] = x[…, j, …, i, …]` (torch.transpose(dim0, dim1)).
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range.
    public static func transposed<Scalar>(_ x: ReferenceArray<Scalar>, _ dim0: Int, _ dim1: Int) throws
        -> ReferenceArray<Scalar>
    {
        let a = try normalizedDim(dim0, rank: x.rank, op: "transposed", shape: x.shape)
        let b = try normalizedDim(dim1, rank: x.rank, op: "transposed", shape: x.shape)
        var perm = Array(0..<x.rank)
        perm.swapAt(a, b)
        return try permuted(x, perm)
    }

    /// The slice `start ..< start + length` of dim `dim`: `out[…, i, …] = x[…, start + i, …]`
    /// (torch.narrow). A negative `start` counts from the end of the dim.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range or `start ..< start +
    ///   length` leaves the dim.
    public static func narrow<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, start: Int, length: Int) throws
        -> ReferenceArray<Scalar>
    {
        let d = try normalizedDim(dim, rank: x.rank, op: "narrow", shape: x.shape)
        let size = x.shape[d]
        let begin = start < 0 ? start + size : start
        guard begin >= 0, length >= 0, begin + length <= size else {
            throw ReferenceError.invalidArgument(
                op: "narrow",
                message:
                    "start \(start), length \(length) do not fit dim \(dim) of size \(size) in x \(formatShape(x.shape)) (needs 0 <= start and start + length <= size)"
            )
        }
        var shape = x.shape
        shape[d] = length
        var out = ReferenceArray<Scalar>(shape: shape, repeating: 0)
        var n = 0
        forEachIndex(shape) { index in
            var source = index
            source[d] += begin
            out.values[n] = x[source]
            n += 1
        }
        return out
    }

    /// Broadcasts `x` to `shape` (torch.expand): `x`'s dims align with the last dims of `shape`; a dim
    /// of size 1 is repeated, others must match; an entry −1 in `shape` keeps x's size there.
    /// - Throws: ``ReferenceError`` when a dim of extent ≠ 1 would have to change (NumPy's broadcasting
    ///   rule), the target has fewer dims, or −1 stands for a new leading dim.
    public static func expanded<Scalar>(_ x: ReferenceArray<Scalar>, to shape: [Int]) throws -> ReferenceArray<Scalar> {
        guard shape.count >= x.rank else {
            throw ReferenceError.shapeMismatch(
                op: "expanded",
                message:
                    "x \(formatShape(x.shape)) has more dims than the target \(formatShape(shape)) (expand can only add leading dims)"
            )
        }
        var target = shape
        let offset = shape.count - x.rank
        for k in 0..<shape.count where shape[k] == -1 {
            guard k >= offset else {
                throw ReferenceError.invalidArgument(
                    op: "expanded",
                    message:
                        "target \(formatShape(shape)) has −1 at new leading dim \(k) of x \(formatShape(x.shape)) (−1 may only stand for an existing dim)"
                )
            }
            target[k] = x.shape[k - offset]
        }
        try checkBroadcastable(x.shape, to: target, op: "expanded", what: "x")
        let offsets = broadcastOffsets(x.shape, to: target)
        return ReferenceArray(shape: target, values: offsets.map { x.values[$0] })
    }

    /// Sliding windows along `dim` (torch.Tensor.unfold): dim `dim` becomes the window number,
    /// of length `(n − size)/step + 1`, and a new last dim of length `size` indexes inside the window:
    /// `out[…, w, …, k] = x[…, w·step + k, …]`.
    /// Example: `[10, 20, …, 100]` with size 3, step 1 → 8 windows `[10, 20, 30], [20, 30, 40], …`.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range, `size` exceeds its extent
    ///   or `step` is not positive.
    public static func unfold<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, size: Int, step: Int) throws
        -> ReferenceArray<Scalar>
    {
        let input = x
        let d = try normalizedDim(dim, rank: input.rank, op: "unfold", shape: x.shape)
        let n = input.shape[d]
        guard step > 0, size >= 0, size <= n else {
            throw ReferenceError.invalidArgument(
                op: "unfold",
                message:
                    "size \(size), step \(step) do not fit dim \(dim) of size \(n) in x \(formatShape(x.shape)) (needs 0 <= size <= \(n) and step > 0)"
            )
        }
        var shape = input.shape
        shape[d] = (n - size) / step + 1
        shape.append(size)
        var out = ReferenceArray<Scalar>(shape: shape, repeating: 0)
        var i = 0
        forEachIndex(shape) { index in
            var source = Array(index.dropLast())
            source[d] = index[d] * step + index[index.count - 1]
            out.values[i] = input[source]
            i += 1
        }
        return out
    }

    /// The same row-major values with a new shape (torch.reshape). One entry may be −1: it is
    /// inferred so that the element count is unchanged.
    /// - Throws: ``ReferenceError`` when the target is not a shape (a size < −1, two −1s) or holds a
    ///   different number of elements.
    public static func reshaped<Scalar>(_ x: ReferenceArray<Scalar>, _ shape: [Int]) throws -> ReferenceArray<Scalar> {
        let inferred = shape.indices.filter { shape[$0] == -1 }
        guard inferred.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw ReferenceError.invalidArgument(
                op: "reshaped",
                message: "target \(formatShape(shape)) is not a shape (sizes must be >= 0, with at most one −1)")
        }
        var target = shape
        if let k = inferred.first {
            let known = shape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, x.count % known == 0 else {
                throw ReferenceError.shapeMismatch(
                    op: "reshaped",
                    message:
                        "x \(formatShape(x.shape)) with \(x.count) elements cannot be reshaped to \(formatShape(shape)) (the known sizes must divide the element count)"
                )
            }
            target[k] = x.count / known
        }
        guard elementCount(target) == x.count else {
            throw ReferenceError.shapeMismatch(
                op: "reshaped",
                message:
                    "x \(formatShape(x.shape)) has \(x.count) elements but \(formatShape(shape)) holds \(elementCount(target)) (reshape keeps the element count)"
            )
        }
        return ReferenceArray(shape: target, values: x.values)
    }
}
