/// One index of an einsum's index space: a letter, or one of the dimensions `...` covers.
///
/// Indices order as the implicit output lists them: the ellipsis dimensions first (outermost
/// first), then the letters in ASCII order (`A`–`Z` before `a`–`z`, as NumPy and PyTorch sort).
struct EinsumIndex: Hashable, Comparable, Sendable, CustomStringConvertible {
    private let rawValue: Int
    private static let letterBase = 1 << 16

    static func letter(_ character: Character) -> EinsumIndex {
        EinsumIndex(rawValue: letterBase + Int(character.asciiValue!))
    }

    /// Dimension `k` of the broadcast ellipsis shape (0 = outermost).
    static func ellipsis(_ k: Int) -> EinsumIndex { EinsumIndex(rawValue: k) }

    static func < (lhs: EinsumIndex, rhs: EinsumIndex) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `d` for a letter, `…₀`, `…₁` … for the ellipsis dimensions.
    var description: String {
        if rawValue >= Self.letterBase { return String(UnicodeScalar(UInt8(rawValue - Self.letterBase))) }
        let subscripts = Array("₀₁₂₃₄₅₆₇₈₉")
        return "…" + String(String(rawValue).map { subscripts[Int(String($0))!] })
    }
}

extension Array where Element == EinsumIndex {
    /// The indices as one quoted word for plans and messages: `'bhld'`.
    var quoted: String { "'" + map(\.description).joined() + "'" }
}

/// An einsum equation bound to its operands' layouts: the size of every index, the output
/// indices, and each operand as a view with every index at most once.
///
/// Binding follows PyTorch:
/// - the dimensions `...` covers broadcast across operands, aligned from the right;
/// - a letter may have size 1 in one operand and n in another (size-1 broadcasting): the
///   size-1 dimension is dropped from that operand's view, since the operand does not depend
///   on the index;
/// - a letter repeated in one term (`"ii"`) becomes one dimension whose stride is the sum of
///   the repeated dimensions' strides — the diagonal, as a view;
/// - implicit output: the ellipsis dimensions, then the letters that occur exactly once in the
///   equation, alphabetically (`"ij,jk"` means `"ij,jk->ik"`, `"ii"` is the trace).
struct EinsumBinding: Sendable {
    /// An operand as the lowering sees it: each index once, as a view of the original layout.
    struct Operand: Sendable {
        var labels: [EinsumIndex]
        var layout: TensorLayout
        /// What the binding view did (a diagonal, dropped broadcast dimensions), for the plan.
        var notes: [String]
    }

    let equation: EinsumEquation
    let sizes: [EinsumIndex: Int]
    let operands: [Operand]
    let output: [EinsumIndex]

    /// - Throws: ``TensorError`` (op `"einsum"`) when the number of terms is not the number of
    ///   operands, a term names more or fewer indices than its operand has dimensions, an index
    ///   has two sizes (neither 1), a repeated index has unequal dimensions, the ellipsis
    ///   dimensions do not broadcast, or an output index is repeated or in no input.
    init(_ equation: EinsumEquation, layouts: [TensorLayout]) throws {
        self.equation = equation
        let quoted = "\"\(equation.text)\""
        let terms = equation.inputs
        guard terms.count == layouts.count else {
            throw TensorError(
                op: "einsum",
                "equation \(quoted) has \(terms.count) operand term\(terms.count == 1 ? "" : "s") but \(layouts.count) operand\(layouts.count == 1 ? " was" : "s were") given"
            )
        }

        // 1. Rank of every term against its operand; the dimensions each ellipsis covers.
        var ellipsisParts: [[Int]] = []
        for (op, term) in terms.enumerated() {
            let shape = layouts[op].shape
            let letters = term.filter { $0.kind != .ellipsis }.count
            let text = EinsumEquation.text(of: term)
            if let start = term.firstIndex(where: { $0.kind == .ellipsis }) {
                guard shape.count >= letters else {
                    throw TensorError(
                        op: "einsum",
                        "operand \(op) has shape \(describe(shape)) (rank \(shape.count)) but its term \"\(text)\" names \(letters) indices "
                            + "(a term with '...' needs at least as many dimensions as letters)")
                }
                ellipsisParts.append(Array(shape[start..<start + shape.count - letters]))
            } else {
                guard shape.count == letters else {
                    throw TensorError(
                        op: "einsum",
                        "operand \(op) has shape \(describe(shape)) (rank \(shape.count)) but its term \"\(text)\" names \(letters) "
                            + "ind\(letters == 1 ? "ex" : "ices") (one index per dimension)")
                }
                ellipsisParts.append([])
            }
        }

        // 2. The broadcast shape of the ellipsis parts, aligned from the right.
        let ellipsisRank = ellipsisParts.map(\.count).max() ?? 0
        var ellipsisShape = Array(repeating: 1, count: ellipsisRank)
        var ellipsisOwner = Array(repeating: -1, count: ellipsisRank)
        for (op, part) in ellipsisParts.enumerated() {
            for (k, size) in part.enumerated() where size != 1 {
                let dim = ellipsisRank - part.count + k
                if ellipsisShape[dim] == 1 {
                    (ellipsisShape[dim], ellipsisOwner[dim]) = (size, op)
                } else if ellipsisShape[dim] != size {
                    throw TensorError(
                        op: "einsum",
                        "the dimensions covered by '...' do not broadcast: ellipsis dimension \(dim - ellipsisRank) has size "
                            + "\(ellipsisShape[dim]) in operand \(ellipsisOwner[dim]) but \(size) in operand \(op) (sizes must be equal or 1)"
                    )
                }
            }
        }

        // 3. The index of every operand dimension, and the size of every index.
        var sizes: [EinsumIndex: Int] = [:]
        var owner: [EinsumIndex: Int] = [:]
        var occurrences: [EinsumIndex: Int] = [:]
        for k in 0..<ellipsisRank { sizes[.ellipsis(k)] = ellipsisShape[k] }
        var dimensionIndices: [[EinsumIndex]] = []
        for (op, term) in terms.enumerated() {
            let shape = layouts[op].shape
            var indices: [EinsumIndex] = []
            for item in term {
                switch item.kind {
                case .ellipsis:
                    let covered = ellipsisParts[op].count
                    indices += (ellipsisRank - covered..<ellipsisRank).map { EinsumIndex.ellipsis($0) }
                case .letter(let character):
                    let index = EinsumIndex.letter(character)
                    let size = shape[indices.count]
                    occurrences[index, default: 0] += 1
                    if let earlier = indices.firstIndex(of: index), shape[earlier] != size {
                        throw TensorError(
                            op: "einsum",
                            "index '\(character)' is repeated in operand \(op) (term \"\(EinsumEquation.text(of: term))\", shape \(describe(shape))) "
                                + "with sizes \(shape[earlier]) and \(size): a repeated index walks a diagonal, so its dimensions must be equal"
                        )
                    }
                    if let known = sizes[index], known != size, known != 1, size != 1 {
                        throw TensorError(
                            op: "einsum",
                            "index '\(character)' has size \(known) in operand \(owner[index]!) but \(size) in operand \(op)"
                        )
                    }
                    if sizes[index] == nil || sizes[index] == 1 {
                        sizes[index] = size
                        owner[index] = op
                    }
                    indices.append(index)
                }
            }
            dimensionIndices.append(indices)
        }
        self.sizes = sizes

        // 4. The output indices.
        if let outputTerm = equation.output {
            var output: [EinsumIndex] = []
            for item in outputTerm {
                switch item.kind {
                case .ellipsis:
                    output += (0..<ellipsisRank).map { EinsumIndex.ellipsis($0) }
                case .letter(let character):
                    let index = EinsumIndex.letter(character)
                    guard sizes[index] != nil else {
                        throw TensorError(
                            op: "einsum",
                            "output index '\(character)' at position \(item.position) in \(quoted) does not appear in any input term"
                        )
                    }
                    guard !output.contains(index) else {
                        throw TensorError(
                            op: "einsum",
                            "output index '\(character)' at position \(item.position) in \(quoted) appears more than once in the output"
                        )
                    }
                    output.append(index)
                }
            }
            self.output = output
        } else {
            self.output =
                (0..<ellipsisRank).map { EinsumIndex.ellipsis($0) }
                + occurrences.filter { $0.value == 1 }.keys.sorted()
        }

        // 5. Each operand as a view with every index once.
        operands = layouts.indices.map { op in
            Self.bindingView(layouts[op], indices: dimensionIndices[op], sizes: sizes, operand: op)
        }
    }

    /// Merges repeated indices into one dimension (stride = sum of strides: the diagonal) and
    /// drops size-1 dimensions whose index is broadcast to a larger size elsewhere.
    private static func bindingView(
        _ layout: TensorLayout, indices: [EinsumIndex], sizes: [EinsumIndex: Int], operand: Int
    ) -> Operand {
        var labels: [EinsumIndex] = []
        var shape: [Int] = []
        var strides: [Int] = []
        var notes: [String] = []
        for (dim, index) in indices.enumerated() {
            if layout.shape[dim] == 1, sizes[index]! != 1 {
                notes.append(
                    "operand \(operand): size-1 dimension \(dim) of '\(index)' broadcasts to \(sizes[index]!) (dropped)"
                )
                continue
            }
            if let slot = labels.firstIndex(of: index) {
                notes.append(
                    "operand \(operand): repeated '\(index)' is a diagonal, stride \(strides[slot]) + \(layout.strides[dim]) = \(strides[slot] + layout.strides[dim])"
                )
                strides[slot] += layout.strides[dim]
                continue
            }
            labels.append(index)
            shape.append(layout.shape[dim])
            strides.append(layout.strides[dim])
        }
        return Operand(labels: labels, layout: TensorLayout(shape: shape, strides: strides), notes: notes)
    }

    /// The sizes of a list of indices.
    func shape(of labels: [EinsumIndex]) -> [Int] { labels.map { sizes[$0]! } }
}
