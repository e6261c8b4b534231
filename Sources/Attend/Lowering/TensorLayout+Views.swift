// View arithmetic on bare layouts, so a lowering can decide "view or copy" before any data
// exists (`einsumPlan`, `conv2dPlan` … print a plan from shapes and strides alone).
//
// The rules are not re-implemented here: a layout borrows them from `Tensor` (whose views
// define them) through a tensor over an empty buffer. A plan and its execution therefore use
// one and the same rule, and cannot disagree about whether a reshape copies.

extension TensorLayout {
    /// An empty buffer shared by every shape-only tensor; nothing ever reads or writes it.
    private static let noElements = TensorStorage<Float>(zeroedCount: 0)

    /// A tensor with this layout whose elements must never be touched — only its view rules
    /// (`viewStrides`, `isContiguous`) are used.
    private var shapeOnly: Tensor<Float> {
        Tensor(storage: Self.noElements, shape: shape, strides: strides, offset: 0)
    }

    /// The number of elements.
    var elementCount: Int { shape.product }

    /// Whether the layout is row-major with no gaps (``Tensor/isContiguous``'s rule).
    var isContiguous: Bool { shapeOnly.isContiguous }

    /// The layout `view(target)` gives — `nil` when the strides make a view impossible and
    /// `reshaped(target)` would copy.
    func viewed(as target: [Int]) -> TensorLayout? {
        precondition(
            target.product == shape.product,
            "TensorLayout.viewed: \(describe(shape)) has \(shape.product) elements, \(describe(target)) has \(target.product)"
        )
        return shapeOnly.viewStrides(for: target).map { TensorLayout(shape: target, strides: $0) }
    }

    /// Dimension `i` of the result is dimension `order[i]` of `self` (``Tensor/permuted(_:)``).
    func permuted(_ order: [Int]) -> TensorLayout {
        TensorLayout(shape: order.map { shape[$0] }, strides: order.map { strides[$0] })
    }

    /// The layout a chain of ``Tensor`` views gives, e.g.
    /// `layout.applying { try $0.unfolded(2, size: 3, step: 1) }` — the same call an executor
    /// makes on the real tensor. `views` must only take views that keep the offset (permute,
    /// unfold, view, expand, transpose), never read elements.
    func applying(_ views: (Tensor<Float>) throws -> Tensor<Float>) rethrows -> TensorLayout {
        try views(shapeOnly).layout
    }
}

extension Tensor {
    /// A view of the same buffer and offset with another layout — how an executor applies a
    /// layout its plan computed. The caller guarantees the layout stays inside the buffer.
    func withLayout(_ layout: TensorLayout) -> Tensor {
        Tensor(storage: storage, shape: layout.shape, strides: layout.strides, offset: offset)
    }
}
