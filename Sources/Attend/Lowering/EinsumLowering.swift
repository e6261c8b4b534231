/// How an einsum becomes BLAS calls, decided from the operands' layouts alone.
///
/// 1. **Binding** (``EinsumBinding``): diagonals and broadcast size-1 dimensions become views.
/// 2. **Reduction**: an index that occurs in one operand only and not in the output is summed
///    out of that operand first (one pass, accumulated in Double).
/// 3. **Pairwise contractions**, in greedy order: while more than one operand is left, the pair
///    whose result is smallest (ties: fewest multiplications, then leftmost) is contracted, as
///    opt_einsum's greedy strategy does. For a pair X, Y with `keep` = the output indices and
///    those of the other operands, every index is
///    - *batch* (in X and Y, kept), *left-free* (X only), *right-free* (Y only), or
///    - *contracted* (in X and Y, not kept).
///
///    X is permuted to `[batch…, free…, contracted…]` and Y to `[batch…, contracted…, free…]`,
///    then viewed as `[batch…, M, K]` and `[batch…, K, N]` — a copy only when the strides make
///    that view impossible — and the pair is ONE batched GEMM through
///    ``BatchedMatmulLowering``, which passes transposed matrices as BLAS transpose flags. The
///    orders of the four groups and which operand goes on the left are chosen among a few
///    candidates (each operand's memory order, the output order; for the last pair also free
///    indices promoted to *broadcast* batch indices, stride 0 in the other operand, so the
///    GEMM writes the output order directly), costed as copied bytes plus
///    ``gemmCallCostInBytes`` per GEMM call. So `"bhld,bhmd->bhlm"` is `q · kᵀ` with `transB`
///    and no copy, like `matmul(q, k.transposed(-2, -1))`, and `"...ij,...jk->...ik"` with
///    broadcast ellipsis dimensions lowers like `matmul`'s batch broadcasting.
///    A pair with no contracted index (an outer or elementwise product) is a broadcast multiply,
///    not a GEMM: with K = 1 there is no reduction for BLAS to do.
/// 4. **Output**: the last result permuted to the output order is a view; it is copied to
///    row-major only when that view is not already row-major.
struct EinsumLowering {
    /// A working operand: an input (after binding) or an intermediate.
    struct Slot {
        var name: String
        var labels: [EinsumIndex]
        var layout: TensorLayout
    }

    /// Sum one operand over indices that occur nowhere else.
    struct Reduction {
        var slot: Int
        /// Puts the kept dimensions first (in their result order) and the summed ones last.
        var permutation: [Int]
        /// The trailing dimensions to sum, after the permutation.
        var summedDims: [Int]
        var resultLabels: [EinsumIndex]
    }

    /// An operand of a contraction as a GEMM matrix `[batch…, rows, cols]`: permuted to
    /// `labels`, given a size-1 dimension and then broadcast (stride 0) wherever it lacks a
    /// (broadcast batch) index, and viewed as `shape` — or copied to row-major first when the
    /// strides make that view impossible.
    struct OperandMatrix {
        /// The operand's own dimensions in `labels` order.
        var permutation: [Int]
        /// `labels`' sizes, with 1 where the operand lacks the index.
        var aligned: [Int]
        /// `labels`' sizes.
        var expanded: [Int]
        /// `[batch…, rows, cols]`.
        var shape: [Int]
        var copy: Bool
        /// The matrix layout handed to ``BatchedMatmulLowering``.
        var layout: TensorLayout

        init(_ slot: Slot, labels: [EinsumIndex], matrix: [Int], binding: EinsumBinding) {
            permutation = labels.compactMap { slot.labels.firstIndex(of: $0) }
            aligned = labels.map { label in slot.labels.firstIndex(of: label).map { slot.layout.shape[$0] } ?? 1 }
            expanded = binding.shape(of: labels)
            shape = matrix
            let strides = labels.map { label in slot.labels.firstIndex(of: label).map { slot.layout.strides[$0] } ?? 0 }
            if let view = TensorLayout(shape: expanded, strides: strides).viewed(as: matrix) {
                (layout, copy) = (view, false)
            } else {
                (layout, copy) = (TensorLayout(contiguous: matrix), true)
            }
        }

        /// The matrix from the operand's tensor, as planned.
        func matrix<Scalar: TensorScalar>(_ operand: Tensor<Scalar>) throws -> Tensor<Scalar> {
            let arranged = try operand.permuted(permutation).view(aligned).expanded(to: expanded)  // [labels…]
            return try (copy ? arranged.materialized() : arranged).view(shape)  // [batch…, rows, cols]
        }
    }

    /// One pairwise contraction as one batched GEMM.
    struct Contraction {
        var left: Int, right: Int
        /// A = left as `[batch…, left-free…, contracted…]` viewed as `[batch…, M, K]`.
        var leftMatrix: OperandMatrix
        /// B = right as `[batch…, contracted…, right-free…]` viewed as `[batch…, K, N]`.
        var rightMatrix: OperandMatrix
        var gemm: BatchedMatmulLowering
        /// `[batch…, left-free…, right-free…]`, a view of the GEMM's `[batch…, M, N]`.
        var resultLabels: [EinsumIndex]
        var resultShape: [Int]
    }

    /// A pairwise product with no contracted index: both operands broadcast to the result.
    struct Product {
        var left: Int, right: Int
        /// Each operand permuted to the result order, then viewed with a size-1 dimension
        /// wherever it lacks a result index (so it broadcasts there).
        var leftPermutation: [Int], leftAligned: [Int]
        var rightPermutation: [Int], rightAligned: [Int]
        var resultLabels: [EinsumIndex]
    }

    enum Step {
        case reduce(Reduction)
        case contract(Contraction)
        case multiply(Product)
    }

    let binding: EinsumBinding
    let steps: [Step]
    /// Which slot holds the result and how it is permuted to the output order.
    let finalSlot: Int
    let finalPermutation: [Int]
    /// Whether the permuted result is copied to row-major.
    let finalCopy: Bool
    let outputShape: [Int]
    private let plannedSteps: [LoweringPlan.Step]
    private let intermediates: [LoweringPlan.Intermediate]

    /// Plans `equation` for operands with these layouts.
    /// - Throws: ``TensorError`` (op `"einsum"`) for a malformed equation or operands that do not
    ///   fit it (see ``EinsumEquation`` and ``EinsumBinding``).
    init<Scalar: TensorScalar>(_ equation: String, _ layouts: [TensorLayout], scalar: Scalar.Type) throws {
        let binding = try EinsumBinding(EinsumEquation(parsing: equation), layouts: layouts)
        let bytes = MemoryLayout<Scalar>.stride
        let output = binding.output
        var slots: [Slot?] = binding.operands.enumerated().map { op, operand in
            Slot(name: "operand \(op)", labels: operand.labels, layout: operand.layout)
        }
        var steps: [Step] = []
        var planned: [LoweringPlan.Step] = binding.operands.flatMap { $0.notes.map { LoweringPlan.Step.view($0) } }
        var intermediates: [LoweringPlan.Intermediate] = []

        /// Indices some slot other than `excluded` (or the output) still needs.
        func needed(excluding excluded: Set<Int>) -> Set<EinsumIndex> {
            var result = Set(output)
            for (i, slot) in slots.enumerated() where !excluded.contains(i) { result.formUnion(slot?.labels ?? []) }
            return result
        }

        // 2. Reductions: indices only in one operand and not in the output.
        for i in slots.indices {
            let slot = slots[i]!
            let keep = needed(excluding: [i])
            let summed = slot.labels.filter { !keep.contains($0) }
            guard !summed.isEmpty else { continue }
            var kept = slot.labels.filter { keep.contains($0) }
            if slots.count == 1 { kept = output }  // a lone operand is reduced straight into output order
            let order = (kept + summed).map { slot.labels.firstIndex(of: $0)! }
            let reduction = Reduction(
                slot: i, permutation: order, summedDims: Array(kept.count..<order.count), resultLabels: kept)
            steps.append(.reduce(reduction))
            let shape = binding.shape(of: kept)
            planned.append(
                .pass(
                    "sum \(slot.name) \(slot.labels.quoted) over \(summed.quoted) → \(kept.quoted) \(describe(shape))"))
            slots[i] = Slot(name: slot.name, labels: kept, layout: TensorLayout(contiguous: shape))
        }

        // 3. Pairwise contractions, greedily by the size of the result.
        var live = Array(slots.indices)
        while live.count > 1 {
            var best: (i: Int, j: Int, size: Int, work: Int)? = nil
            for (p, i) in live.enumerated() {
                for j in live[(p + 1)...] {
                    let keep = needed(excluding: [i, j])
                    let union = slots[i]!.labels + slots[j]!.labels.filter { !slots[i]!.labels.contains($0) }
                    let size = binding.shape(of: union.filter { keep.contains($0) }).product
                    let work = binding.shape(of: union).product
                    if best == nil || (size, work) < (best!.size, best!.work) { best = (i, j, size, work) }
                }
            }
            let (i, j) = (best!.i, best!.j)
            let keep = needed(excluding: [i, j])
            let isLast = live.count == 2
            let name = "t\(intermediates.count + 1)"
            let x = slots[i]!
            let y = slots[j]!
            let result: Slot
            if x.labels.contains(where: { y.labels.contains($0) && !keep.contains($0) }) {
                let contraction = try Self.bestContraction(
                    x: (i, x), y: (j, y), keep: keep, output: isLast ? output : nil, binding: binding,
                    scalar: Scalar.self)
                steps.append(.contract(contraction.plan))
                let plan = contraction.plan
                let (left, right) = plan.left == i ? (x, y) : (y, x)
                let contracted = x.labels.filter { y.labels.contains($0) && !keep.contains($0) }
                let promoted = Array(plan.resultLabels.prefix(plan.leftMatrix.shape.count - 2)).filter {
                    !(left.labels.contains($0) && right.labels.contains($0))
                }
                planned.append(
                    .view(
                        "\(name) = \(left.name) \(left.labels.quoted) · \(right.name) \(right.labels.quoted) over \(contracted.quoted): "
                            + "A = \(Self.matrixText(left, plan.leftMatrix)), B = \(Self.matrixText(right, plan.rightMatrix))"
                            + (promoted.isEmpty
                                ? ""
                                : "; \(promoted.quoted) broadcast as batch (stride 0 in the operand that lacks it)")))
                if plan.leftMatrix.copy {
                    planned.append(.copy(Self.arrangementCopy(left, plan.leftMatrix, bytes: bytes)))
                }
                if plan.rightMatrix.copy {
                    planned.append(.copy(Self.arrangementCopy(right, plan.rightMatrix, bytes: bytes)))
                }
                planned += plan.gemm.plan(op: "einsum", names: (left.name, right.name)).steps
                result = Slot(
                    name: name, labels: contraction.plan.resultLabels,
                    layout: TensorLayout(contiguous: contraction.plan.resultShape))
            } else {
                let product = Self.product(x: (i, x), y: (j, y), keep: keep, output: isLast ? output : nil)
                steps.append(.multiply(product))
                let shape = binding.shape(of: product.resultLabels)
                planned.append(
                    .pass(
                        "\(name) = \(x.name) \(x.labels.quoted) × \(y.name) \(y.labels.quoted) → \(product.resultLabels.quoted) \(describe(shape)) "
                            + "(no index is summed: a broadcast multiply, not a GEMM)"))
                result = Slot(name: name, labels: product.resultLabels, layout: TensorLayout(contiguous: shape))
            }
            intermediates.append(
                LoweringPlan.Intermediate(name: "\(name) \(result.labels.quoted)", shape: result.layout.shape))
            slots[i] = nil
            slots[j] = nil
            slots.append(result)
            live = live.filter { $0 != i && $0 != j } + [slots.count - 1]
        }

        // 4. The output: the last slot permuted to the output order.
        let last = slots[live[0]]!
        precondition(
            Set(last.labels) == Set(output), "einsum: result indices \(last.labels) are not the output \(output)")
        let permutation = output.map { last.labels.firstIndex(of: $0)! }
        let permuted = last.layout.permuted(permutation)
        let outputShape = permuted.shape
        let isView = steps.isEmpty
        let copy = !isView && !permuted.isContiguous
        if permutation != Array(permutation.indices) {
            planned.append(
                .view("output \(output.quoted) = \(last.name) \(last.labels.quoted) permuted \(permutation)"))
        }
        if copy {
            planned.append(
                .copy(
                    OperandCopy(
                        operand: "output", shape: outputShape, bytes: outputShape.product * bytes,
                        reason: "the result permuted to \(output.quoted) is not row-major")))
        }
        if isView, planned.isEmpty {
            planned.append(.view("output \(output.quoted) is operand 0 as it is"))
        }

        self.binding = binding
        self.steps = steps
        self.finalSlot = live[0]
        self.finalPermutation = permutation
        self.finalCopy = copy
        self.outputShape = outputShape
        self.plannedSteps = planned
        self.intermediates = intermediates
    }

    /// The plan as a person reads it.
    var plan: LoweringPlan {
        LoweringPlan(
            op: "einsum \"\(binding.equation.text)\"", steps: plannedSteps, intermediates: intermediates,
            outputShape: outputShape)
    }

    // MARK: - Choosing a contraction's layout

    /// What one GEMM call is worth in copied bytes when arrangements are compared: about the
    /// time OpenBLAS needs to set up a call (~1 µs) is the time to copy 4 KiB.
    static let gemmCallCostInBytes = 4096

    /// One way to lay out a pair for the GEMM: the four index groups in order, and which
    /// operand is on the left. `batch` may hold *broadcast* indices — free indices of one
    /// operand that the other operand sees with stride 0 — so that the GEMM's
    /// `[batch…, M, N]` can already be in output order (`"...ij,...jk->...ik"` with broadcast
    /// ellipsis dimensions lowers like `matmul`'s batch broadcasting).
    private struct Arrangement: Equatable {
        var batch: [EinsumIndex], contracted: [EinsumIndex], leftFree: [EinsumIndex], rightFree: [EinsumIndex]
        var swapped: Bool
    }

    /// Every candidate arrangement of a pair, costed as copied bytes + ``gemmCallCostInBytes``
    /// per GEMM call; the cheapest wins, the earlier candidate on ties. Candidates: each group
    /// in either operand's memory order or in output order, either operand on the left, and —
    /// for the last contraction — every split of the output into `batch + left-free + right-free`.
    private static func bestContraction<Scalar: TensorScalar>(
        x: (slot: Int, value: Slot), y: (slot: Int, value: Slot), keep: Set<EinsumIndex>,
        output: [EinsumIndex]?, binding: EinsumBinding, scalar: Scalar.Type
    ) throws -> (plan: Contraction, cost: Int) {
        let xl = x.value.labels
        let yl = y.value.labels
        let batch = xl.filter { yl.contains($0) && keep.contains($0) }
        let contracted = xl.filter { yl.contains($0) && !keep.contains($0) }
        let xFree = xl.filter { !yl.contains($0) }
        let yFree = yl.filter { !xl.contains($0) }
        precondition(
            (xFree + yFree).allSatisfy(keep.contains),
            "einsum: an index of only one operand should have been summed out before contracting")

        /// The labels ordered by decreasing stride in `slot` (its memory order).
        func memoryOrder(_ labels: [EinsumIndex], _ slot: Slot) -> [EinsumIndex] {
            labels.enumerated().sorted { a, b in
                let sa = slot.layout.strides[slot.labels.firstIndex(of: a.element)!]
                let sb = slot.layout.strides[slot.labels.firstIndex(of: b.element)!]
                return sa != sb ? sa > sb : a.offset < b.offset
            }.map(\.element)
        }
        /// The labels in output order (or as they are, for an intermediate).
        func outputOrder(_ labels: [EinsumIndex]) -> [EinsumIndex] {
            guard let output else { return labels }
            return labels.sorted { output.firstIndex(of: $0)! < output.firstIndex(of: $1)! }
        }
        func unique(_ orders: [[EinsumIndex]]) -> [[EinsumIndex]] {
            orders.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        }
        let batchOrders = unique([outputOrder(batch), memoryOrder(batch, x.value), memoryOrder(batch, y.value)])
        let contractedOrders = unique([memoryOrder(contracted, x.value), memoryOrder(contracted, y.value)])
        let xFreeOrders = unique([outputOrder(xFree), memoryOrder(xFree, x.value)])
        let yFreeOrders = unique([outputOrder(yFree), memoryOrder(yFree, y.value)])

        var candidates: [Arrangement] = []
        for swapped in [false, true] {
            for b in batchOrders {
                for k in contractedOrders {
                    for lf in swapped ? yFreeOrders : xFreeOrders {
                        for rf in swapped ? xFreeOrders : yFreeOrders {
                            candidates.append(
                                Arrangement(batch: b, contracted: k, leftFree: lf, rightFree: rf, swapped: swapped))
                        }
                    }
                }
            }
        }
        if let output {
            // Output = prefix + rest: the prefix (holding every batch index) becomes the GEMM
            // batch, the rest must be left-free indices followed by right-free ones.
            for p in 0...output.count where Set(output[..<p]).isSuperset(of: batch) {
                let rest = Array(output[p...])
                for swapped in [false, true] {
                    let rightFree = Set(swapped ? xFree : yFree)
                    let split = rest.firstIndex(where: rightFree.contains) ?? rest.count
                    guard rest[split...].allSatisfy(rightFree.contains) else { continue }
                    for k in contractedOrders {
                        let arrangement = Arrangement(
                            batch: Array(output[..<p]), contracted: k, leftFree: Array(rest[..<split]),
                            rightFree: Array(rest[split...]), swapped: swapped)
                        if !candidates.contains(arrangement) { candidates.append(arrangement) }
                    }
                }
            }
        }

        var best: (plan: Contraction, cost: Int)? = nil
        for candidate in candidates {
            let (left, right) = candidate.swapped ? (y, x) : (x, y)
            let plan = try contraction(candidate, left: left, right: right, binding: binding, scalar: Scalar.self)
            let bytes = MemoryLayout<Scalar>.stride
            var cost = plan.gemm.call.batchCount * gemmCallCostInBytes
            if plan.leftMatrix.copy || plan.gemm.copyA { cost += plan.leftMatrix.shape.product * bytes }
            if plan.rightMatrix.copy || plan.gemm.copyB { cost += plan.rightMatrix.shape.product * bytes }
            if let output {
                let toOutput = output.map { plan.resultLabels.firstIndex(of: $0)! }
                if !TensorLayout(contiguous: plan.resultShape).permuted(toOutput).isContiguous {
                    cost += plan.resultShape.product * bytes
                }
            }
            if best == nil || cost < best!.cost { best = (plan, cost) }
        }
        return best!
    }

    /// The contraction of one arrangement: each operand permuted, broadcast where it lacks a
    /// batch index, and viewed as a matrix (or marked for a copy).
    private static func contraction<Scalar: TensorScalar>(
        _ arrangement: Arrangement, left: (slot: Int, value: Slot), right: (slot: Int, value: Slot),
        binding: EinsumBinding, scalar: Scalar.Type
    ) throws -> Contraction {
        let batchShape = binding.shape(of: arrangement.batch)
        let m = binding.shape(of: arrangement.leftFree).product
        let n = binding.shape(of: arrangement.rightFree).product
        let k = binding.shape(of: arrangement.contracted).product
        let a = OperandMatrix(
            left.value, labels: arrangement.batch + arrangement.leftFree + arrangement.contracted,
            matrix: batchShape + [m, k], binding: binding)
        let b = OperandMatrix(
            right.value, labels: arrangement.batch + arrangement.contracted + arrangement.rightFree,
            matrix: batchShape + [k, n], binding: binding)
        let gemm = try BatchedMatmulLowering(a.layout, b.layout, scalar: Scalar.self, op: "einsum")
        let resultLabels = arrangement.batch + arrangement.leftFree + arrangement.rightFree
        return Contraction(
            left: left.slot, right: right.slot, leftMatrix: a, rightMatrix: b, gemm: gemm,
            resultLabels: resultLabels, resultShape: binding.shape(of: resultLabels))
    }

    /// A product with no contracted index: the result lists the output indices in output order
    /// (for the last step) or the left operand's indices then the right's new ones.
    private static func product(
        x: (slot: Int, value: Slot), y: (slot: Int, value: Slot), keep: Set<EinsumIndex>, output: [EinsumIndex]?
    ) -> Product {
        let union = x.value.labels + y.value.labels.filter { !x.value.labels.contains($0) }
        let resultLabels = output ?? union.filter(keep.contains)
        func align(_ slot: Slot) -> (perm: [Int], aligned: [Int]) {
            let present = resultLabels.filter(slot.labels.contains)
            let aligned = resultLabels.map { label in
                slot.labels.firstIndex(of: label).map { slot.layout.shape[$0] } ?? 1
            }
            return (present.map { slot.labels.firstIndex(of: $0)! }, aligned)
        }
        let (lp, la) = align(x.value)
        let (rp, ra) = align(y.value)
        return Product(
            left: x.slot, right: y.slot, leftPermutation: lp, leftAligned: la, rightPermutation: rp, rightAligned: ra,
            resultLabels: resultLabels)
    }

    /// `'bhdm' as [2, 4, 32, 10]`.
    private static func matrixText(_ slot: Slot, _ matrix: OperandMatrix) -> String {
        "\(labels(slot, matrix).quoted) as \(describe(matrix.shape))"
    }

    private static func labels(_ slot: Slot, _ matrix: OperandMatrix) -> [EinsumIndex] {
        matrix.permutation.map { slot.labels[$0] }
    }

    private static func arrangementCopy(_ slot: Slot, _ matrix: OperandMatrix, bytes: Int) -> OperandCopy {
        OperandCopy(
            operand: slot.name, shape: matrix.expanded, bytes: matrix.shape.product * bytes,
            reason:
                "arranged as \(labels(slot, matrix).quoted), its dimensions cannot merge into a matrix without a copy")
    }
}
