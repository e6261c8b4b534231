// Reductions over a list of dims. Each output element is computed from its "group": the input
// elements that share its kept indices, visited in row-major order of the reduced dims.

extension Reference {
    /// Σ over `dims` (all dims when `dims` is empty). out.shape = x.shape without `dims`
    /// (or with them set to 1 when `keepDim`). An empty group sums to 0.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func sum<Scalar>(_ x: ReferenceArray<Scalar>, dims: [Int] = [], keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try reduce(x, dims: dims, keepDim: keepDim, op: "sum") { group in
            var total: Scalar = 0
            for v in group { total += v }
            return total
        }
    }

    /// Σ over the single dim `dim`; see ``sum(_:dims:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    public static func sum<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try sum(x, dims: [dim], keepDim: keepDim)
    }

    /// (1/n)·Σ over `dims` (all dims when empty), n = number of elements in each group.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func mean<Scalar>(_ x: ReferenceArray<Scalar>, dims: [Int] = [], keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try reduce(x, dims: dims, keepDim: keepDim, op: "mean") { group in
            meanOf(group)
        }
    }

    /// The mean over the single dim `dim`; see ``mean(_:dims:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    public static func mean<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try mean(x, dims: [dim], keepDim: keepDim)
    }

    /// Σ(x − mean)² / (n − 1) over `dims` when `unbiased` (Bessel's correction, torch.var default),
    /// Σ(x − mean)² / n otherwise. Computed in two passes (mean first). n − 1 = 0 gives NaN.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func variance<Scalar>(
        _ x: ReferenceArray<Scalar>, dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false
    ) throws -> ReferenceArray<Scalar> {
        try reduce(x, dims: dims, keepDim: keepDim, op: "variance") { group in
            varianceOf(group, unbiased: unbiased)
        }
    }

    /// The variance over the single dim `dim`; see ``variance(_:dims:unbiased:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    public static func variance<Scalar>(
        _ x: ReferenceArray<Scalar>, dim: Int, unbiased: Bool = true, keepDim: Bool = false
    ) throws -> ReferenceArray<Scalar> {
        try variance(x, dims: [dim], unbiased: unbiased, keepDim: keepDim)
    }

    /// √variance over `dims`; `unbiased` divides by n − 1 (torch.std default), else by n.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func standardDeviation<Scalar>(
        _ x: ReferenceArray<Scalar>, dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false
    ) throws -> ReferenceArray<Scalar> {
        try reduce(x, dims: dims, keepDim: keepDim, op: "standardDeviation") { group in
            Scalar.sqrt(varianceOf(group, unbiased: unbiased))
        }
    }

    /// The standard deviation over the single dim `dim`; see ``standardDeviation(_:dims:unbiased:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range (−rank..<rank) or named
    ///   twice.
    public static func standardDeviation<Scalar>(
        _ x: ReferenceArray<Scalar>, dim: Int, unbiased: Bool = true, keepDim: Bool = false
    ) throws -> ReferenceArray<Scalar> {
        try standardDeviation(x, dims: [dim], unbiased: unbiased, keepDim: keepDim)
    }

    /// The largest element over `dims` (NaN if the group holds a NaN, like torch.amax).
    /// - Throws: ``ReferenceError`` when a group is empty.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func max<Scalar>(_ x: ReferenceArray<Scalar>, dims: [Int] = [], keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try checkNonEmptyGroups(x, dims: dims, op: "max")
        return try reduce(x, dims: dims, keepDim: keepDim, op: "max") { group in
            var best = group[group.startIndex]
            for v in group {
                if v.isNaN { return v }
                if v > best { best = v }
            }
            return best
        }
    }

    /// The largest element over the single dim `dim`; see ``max(_:dims:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range or its extent is 0 (the max
    ///   of nothing is undefined).
    public static func max<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try max(x, dims: [dim], keepDim: keepDim)
    }

    /// The smallest element over `dims` (NaN if the group holds a NaN, like torch.amin).
    /// - Throws: ``ReferenceError`` when a group is empty.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func min<Scalar>(_ x: ReferenceArray<Scalar>, dims: [Int] = [], keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try checkNonEmptyGroups(x, dims: dims, op: "min")
        return try reduce(x, dims: dims, keepDim: keepDim, op: "min") { group in
            var best = group[group.startIndex]
            for v in group {
                if v.isNaN { return v }
                if v < best { best = v }
            }
            return best
        }
    }

    /// The smallest element over the single dim `dim`; see ``min(_:dims:keepDim:)``.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when a dim is out of range or named twice, or a
    ///   reduced extent is 0 (the min
    ///   of nothing is undefined).
    public static func min<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try min(x, dims: [dim], keepDim: keepDim)
    }

    /// The index along `dim` of the largest element (the first one on ties; the first NaN if any,
    /// like torch.argmax), returned as `Scalar`. out.shape = x.shape without `dim` (1 when `keepDim`).
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range or its extent is 0.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func argmax<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try argExtreme(x, dim: dim, keepDim: keepDim, op: "argmax") { candidate, best in candidate > best }
    }

    /// The index along `dim` of the smallest element (first on ties; the first NaN if any), as `Scalar`.
    /// - Throws: ``ReferenceError/invalidArgument(op:message:)`` when `dim` is out of range or its extent is 0.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func argmin<Scalar>(_ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool = false) throws
        -> ReferenceArray<Scalar>
    {
        try argExtreme(x, dim: dim, keepDim: keepDim, op: "argmin") { candidate, best in candidate < best }
    }

    // MARK: - Internals

    static func meanOf<Scalar: ReferenceScalar>(_ group: ArraySlice<Scalar>) -> Scalar {
        var total: Scalar = 0
        for v in group { total += v }
        return total / Scalar(group.count)
    }

    static func varianceOf<Scalar: ReferenceScalar>(_ group: ArraySlice<Scalar>, unbiased: Bool) -> Scalar {
        let m = meanOf(group)
        var squares: Scalar = 0
        for v in group { squares += (v - m) * (v - m) }
        return squares / Scalar(unbiased ? group.count - 1 : group.count)
    }

    static func argExtreme<Scalar>(
        _ x: ReferenceArray<Scalar>, dim: Int, keepDim: Bool, op: String, _ better: (Scalar, Scalar) -> Bool
    ) throws -> ReferenceArray<Scalar> {
        let d = try normalizedDim(dim, rank: x.rank, op: op, shape: x.shape)
        try checkNonEmptyGroups(x, dims: [d], op: op)
        return try reduce(x, dims: [d], keepDim: keepDim, op: op) { group in
            var bestIndex = 0
            var best = group[group.startIndex]
            for (i, v) in group.enumerated() {
                if v.isNaN { return Scalar(i) }
                if better(v, best) {
                    best = v
                    bestIndex = i
                }
            }
            return Scalar(bestIndex)
        }
    }

    static func checkNonEmptyGroups<Scalar>(_ x: ReferenceArray<Scalar>, dims: [Int], op: String) throws {
        let reduced = try reducedDims(dims, x: x, op: op)
        if reduced.contains(where: { x.shape[$0] == 0 }) || (x.count == 0 && reduced.count == x.rank) {
            throw ReferenceError.invalidArgument(
                op: op,
                message:
                    "x \(formatShape(x.shape)) has an empty dim among the reduced dims \(dims) (the \(op) of no elements is undefined)"
            )
        }
    }

    /// The normalized, sorted, distinct dims to reduce (all dims when `dims` is empty).
    static func reducedDims<Scalar>(_ dims: [Int], x: ReferenceArray<Scalar>, op: String) throws -> [Int] {
        if dims.isEmpty { return Array(0..<x.rank) }
        let normalized = try dims.map { try normalizedDim($0, rank: x.rank, op: op, shape: x.shape) }
        guard Set(normalized).count == normalized.count else {
            throw ReferenceError.invalidArgument(
                op: op,
                message:
                    "dims \(dims) name the same dim of x \(formatShape(x.shape)) twice (each dim may be reduced once)")
        }
        return normalized.sorted()
    }

    /// Groups the elements of `x` by their kept indices and applies `f` to each group.
    ///
    /// The groups are laid out one after another in a single buffer: group `o` (the output element
    /// in row-major order) holds, in row-major order of the reduced dims, every `x[i]` whose kept
    /// indices equal those of `o`.
    static func reduce<Scalar>(
        _ x: ReferenceArray<Scalar>, dims: [Int], keepDim: Bool, op: String, _ f: (ArraySlice<Scalar>) -> Scalar
    ) throws -> ReferenceArray<Scalar> {
        let reduced = try reducedDims(dims, x: x, op: op)
        let isReduced = (0..<x.rank).map { reduced.contains($0) }
        let keptShape = (0..<x.rank).filter { !isReduced[$0] }.map { x.shape[$0] }
        let groupSize = reduced.reduce(1) { $0 * x.shape[$1] }
        let outCount = elementCount(keptShape)
        let keptStrides = rowMajorStrides(keptShape)

        var grouped = [Scalar](repeating: 0, count: outCount * groupSize)
        var filled = [Int](repeating: 0, count: outCount)
        var n = 0
        forEachIndex(x.shape) { index in
            var o = 0
            var k = 0
            for d in 0..<x.rank where !isReduced[d] {
                o += index[d] * keptStrides[k]
                k += 1
            }
            grouped[o * groupSize + filled[o]] = x.values[n]
            filled[o] += 1
            n += 1
        }

        var out = [Scalar](repeating: 0, count: outCount)
        for o in 0..<outCount {
            out[o] = f(grouped[(o * groupSize)..<((o + 1) * groupSize)])
        }
        let outShape = keepDim ? (0..<x.rank).map { isReduced[$0] ? 1 : x.shape[$0] } : keptShape
        return ReferenceArray(shape: outShape, values: out)
    }
}
