// Reductions along one or several dimensions. Sums accumulate in Double whatever the scalar
// type, so a Float reduction is correctly rounded for all practical lengths.

extension Tensor {
    /// Σ over `dims` (all dimensions when empty). `keepDim` keeps them with size 1.
    ///
    /// For a `[3, 4, 5]` tensor: `sum(dims: [0])` → `[4, 5]`, `[1]` → `[3, 5]`, `[2]` → `[3, 4]`.
    /// - Throws: ``TensorError`` when a dimension is out of range (−rank..<rank) or named twice.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, dims: dims, keepDim: keepDim, op: "sum")
        return plan.output(accumulate(plan, initial: 0) { $0 + Double($1) })
    }

    /// Σ along one dimension.
    /// - Throws: ``TensorError`` when `dim` is out of range (−rank..<rank).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(dim: Int, keepDim: Bool = false) throws -> Tensor { try sum(dims: [dim], keepDim: keepDim) }

    /// Arithmetic mean over `dims` (all when empty).
    /// - Throws: ``TensorError`` when a dimension is out of range (−rank..<rank) or named twice.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, dims: dims, keepDim: keepDim, op: "mean")
        let n = Double(plan.reducedCount)
        return plan.output(accumulate(plan, initial: 0) { $0 + Double($1) }.map { $0 / n })
    }

    /// Mean along one dimension.
    /// - Throws: ``TensorError`` when `dim` is out of range (−rank..<rank).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(dim: Int, keepDim: Bool = false) throws -> Tensor { try mean(dims: [dim], keepDim: keepDim) }

    /// Variance over `dims`: Σ(x − x̄)² / (N − 1) when `unbiased` (PyTorch's default), else / N.
    /// Computed in two passes (mean, then squared deviations) in Double. With `unbiased` and
    /// N = 1 the result is NaN, as in PyTorch.
    /// - Throws: ``TensorError`` when a dimension is out of range (−rank..<rank) or named twice.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func variance(dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, dims: dims, keepDim: keepDim, op: "variance")
        let n = Double(plan.reducedCount)
        let means = accumulate(plan, initial: 0) { $0 + Double($1) }.map { $0 / n }
        var squares = Array(repeating: 0.0, count: means.count)
        let source = storage.pointer
        StridedLoop(shape: shape, strides: [strides, plan.accumulatorStrides]).forEachRow(baseOffsets: [offset, 0]) {
            starts, count, inner in
            var s = starts[0]
            var a = starts[1]
            for _ in 0..<count {
                let deviation = Double(source[s]) - means[a]
                squares[a] += deviation * deviation
                s += inner[0]
                a += inner[1]
            }
        }
        let divisor = unbiased ? n - 1 : n
        return plan.output(squares.map { $0 / divisor })
    }

    /// Variance along one dimension.
    /// - Throws: ``TensorError`` when `dim` is out of range (−rank..<rank).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func variance(dim: Int, unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        try variance(dims: [dim], unbiased: unbiased, keepDim: keepDim)
    }

    /// Standard deviation √variance, unbiased by default like PyTorch's `std`.
    /// - Throws: ``TensorError`` when a dimension is out of range (−rank..<rank) or named twice.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func standardDeviation(dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        try variance(dims: dims, unbiased: unbiased, keepDim: keepDim).sqrt()
    }

    /// Standard deviation along one dimension.
    /// - Throws: ``TensorError`` when `dim` is out of range (−rank..<rank).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func standardDeviation(dim: Int, unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        try standardDeviation(dims: [dim], unbiased: unbiased, keepDim: keepDim)
    }

    /// Largest element over `dims` (NaN if any element is NaN).
    /// - Throws: ``TensorError`` when a dimension is out of range or named twice, or a reduced extent is 0
    ///   (the max of nothing is undefined).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, dims: dims, keepDim: keepDim, op: "max")
        try plan.requireNonEmpty(shape)
        return plan.output(
            accumulate(plan, initial: -.infinity) { best, x in
                best.isNaN || Double(x) <= best ? best : Double(x)
            })
    }

    /// Smallest element over `dims` (NaN if any element is NaN).
    /// - Throws: ``TensorError`` when a dimension is out of range or named twice, or a reduced extent is 0
    ///   (the min of nothing is undefined).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func min(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, dims: dims, keepDim: keepDim, op: "min")
        try plan.requireNonEmpty(shape)
        return plan.output(
            accumulate(plan, initial: .infinity) { best, x in
                best.isNaN || Double(x) >= best ? best : Double(x)
            })
    }

    /// Index of the largest element along `dim` (the first one on ties; a NaN counts as largest).
    /// - Throws: ``TensorError`` when `dim` is out of range or its extent is 0.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func argmax(dim: Int, keepDim: Bool = false) throws -> IndexTensor {
        let plan = try ReductionPlan(shape: shape, dims: [dim], keepDim: keepDim, op: "argmax")
        try plan.requireNonEmpty(shape)
        let axis = plan.reducedDims[0]
        var best = Array(repeating: -Double.infinity, count: plan.accumulatorCount)
        var index = Array(repeating: -1, count: plan.accumulatorCount)
        let source = storage.pointer
        // Walk each line along `axis` in order, so the first maximum wins.
        var lineShape = shape
        lineShape[axis] = 1
        StridedLoop(shape: lineShape, strides: [strides, plan.accumulatorStrides]).forEachRow(baseOffsets: [offset, 0])
        { starts, count, inner in
            var s = starts[0]
            var a = starts[1]
            for _ in 0..<count {
                for i in 0..<shape[axis] {
                    let x = Double(source[s + i * strides[axis]])
                    if index[a] < 0 || (!best[a].isNaN && (x > best[a] || x.isNaN)) {
                        best[a] = x
                        index[a] = i
                    }
                }
                s += inner[0]
                a += inner[1]
            }
        }
        return try IndexTensor(shape: plan.outputShape, elements: index)
    }

    /// Runs `combine` over every element into one Double accumulator per output element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulate(_ plan: ReductionPlan, initial: Double, _ combine: (Double, Scalar) -> Double) -> [Double] {
        var accumulators = Array(repeating: initial, count: plan.accumulatorCount)
        let source = storage.pointer
        accumulators.withUnsafeMutableBufferPointer { acc in
            StridedLoop(shape: shape, strides: [strides, plan.accumulatorStrides]).forEachRow(baseOffsets: [offset, 0])
            { starts, n, inner in
                var s = starts[0]
                var a = starts[1]
                for _ in 0..<n {
                    acc[a] = combine(acc[a], source[s])
                    s += inner[0]
                    a += inner[1]
                }
            }
        }
        return accumulators
    }
}

/// Which dimensions a reduction removes and where each input element accumulates.
struct ReductionPlan {
    let reducedDims: [Int]
    let outputShape: [Int]
    /// Strides into the accumulator array aligned with the input shape (0 on reduced dims).
    let accumulatorStrides: [Int]
    let accumulatorCount: Int
    let reducedCount: Int
    let op: String

    init(shape: [Int], dims: [Int], keepDim: Bool, op: String) throws {
        let resolved = try dims.map { try normalizedDim($0, rank: shape.count, op: op) }
        guard Set(resolved).count == resolved.count else {
            throw TensorError(op: op, "dimension list \(dims) names a dimension twice")
        }
        let reduced = dims.isEmpty ? Array(shape.indices) : resolved.filter { $0 < shape.count }
        let keptShape = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
        let keptStrides = contiguousStrides(for: keptShape)
        self.reducedDims = reduced.sorted()
        self.accumulatorStrides = shape.indices.map { reduced.contains($0) ? 0 : keptStrides[$0] }
        self.accumulatorCount = keptShape.product
        self.reducedCount = reduced.map { shape[$0] }.product
        self.outputShape = keepDim ? keptShape : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        self.op = op
    }

    func output<Scalar: TensorScalar>(_ values: [Double]) -> Tensor<Scalar> {
        // The accumulator is row-major over the kept shape, which is also row-major over the
        // output shape (removing size-1 dims does not reorder elements).
        try! Tensor(shape: outputShape, scalars: values.map { Scalar($0) })
    }

    func requireNonEmpty(_ shape: [Int]) throws {
        guard reducedCount > 0 else {
            throw TensorError(
                op: op, "cannot reduce over an empty dimension of shape \(describe(shape)) (there is no identity)")
        }
    }
}
