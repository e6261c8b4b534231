extension Reference {
    /// Einstein summation with full torch/NumPy notation, computed by a naive loop over the whole
    /// index space.
    ///
    /// `out[output indices] = Σ_{all other indices} Π_t operands[t][indices of term t]`.
    ///
    /// Notation:
    /// - Terms are separated by `,`; letters `a-z`, `A-Z` name indices; spaces are ignored.
    /// - Explicit output after `->` (`"bhld,bhmd->bhlm"`); `"ij->"` sums everything to rank 0.
    /// - Implicit output (no `->`): the ellipsis dims first, then the indices that appear exactly once
    ///   in the whole equation, in alphabetical (ASCII: upper case first) order — `"ij,jk"` is `"ij,jk->ik"`.
    /// - `...` stands for any number of leading-or-inner dims; the ellipsis dims of all operands
    ///   broadcast (aligned from their right end). In an explicit output without `...` they are summed.
    /// - An index repeated in one term walks a diagonal: `"ii->i"` is the diagonal, `"ii"` the trace.
    /// - A size-1 dim broadcasts against another size of the same index (like torch).
    ///
    /// - Throws: ``ReferenceError`` for a malformed equation (naming the character position), a term
    ///   count that differs from the operand count, a term whose index count does not fit its operand's
    ///   rank, an index with two different sizes, an output index that is in no input, or a repeated
    ///   output index.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func einsum<Scalar>(_ equation: String, _ operands: [ReferenceArray<Scalar>]) throws
        -> ReferenceArray<Scalar>
    {
        let parsed = try EinsumEquation(parsing: equation)
        let plan = try EinsumPlan(equation: parsed, shapes: operands.map(\.shape))
        return plan.evaluate(operands)
    }

    /// ``einsum(_:_:)`` with the operands written as arguments: `einsum("ij,jk->ik", a, b)`.
    /// - Throws: ``ReferenceError/invalidEquation(message:)`` for a malformed equation or one that does not
    ///   fit the operands (count, ranks, a letter with two extents).
    public static func einsum<Scalar>(_ equation: String, _ operands: ReferenceArray<Scalar>...) throws
        -> ReferenceArray<Scalar>
    {
        try einsum(equation, operands)
    }
}

/// One item of an einsum term: an index letter or the ellipsis `...`.
enum EinsumItem: Equatable {
    case index(Character)
    case ellipsis
}

/// A parsed einsum equation: the input terms and the explicit output term, if any.
struct EinsumEquation {
    var text: String
    var inputs: [[EinsumItem]]
    /// The items after `->`, with the character position of each (for error messages); nil if implicit.
    var output: [(item: EinsumItem, position: Int)]?

    init(parsing equation: String) throws {
        text = equation
        let chars = Array(equation)
        func fail(_ message: String) -> ReferenceError { .invalidEquation(message: message) }
        func quoted() -> String { "\"\(equation)\"" }

        var inputs: [[EinsumItem]] = []
        var current: [EinsumItem] = []
        var output: [(item: EinsumItem, position: Int)]? = nil
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " {
                i += 1
                continue
            }
            var item: EinsumItem? = nil
            if c.isASCII && c.isLetter {
                item = .index(c)
                i += 1
            } else if c == "." {
                guard i + 2 < chars.count, chars[i + 1] == ".", chars[i + 2] == "." else {
                    throw fail("'.' at position \(i) in \(quoted()) is not part of an ellipsis '...'")
                }
                let termSoFar = output.map { $0.map(\.item) } ?? current
                guard !termSoFar.contains(.ellipsis) else {
                    throw fail("second ellipsis '...' at position \(i) in \(quoted()) (a term may hold at most one)")
                }
                item = .ellipsis
                i += 3
            } else if c == "," {
                guard output == nil else {
                    throw fail(
                        "unexpected character ',' at position \(i) in \(quoted()) (the output after '->' is a single term)"
                    )
                }
                inputs.append(current)
                current = []
                i += 1
            } else if c == "-" {
                guard i + 1 < chars.count, chars[i + 1] == ">" else {
                    throw fail(
                        "unexpected character '-' at position \(i) in \(quoted()) ('-' must start the arrow '->')")
                }
                guard output == nil else {
                    throw fail("second '->' at position \(i) in \(quoted()) (an equation has at most one output)")
                }
                inputs.append(current)
                current = []
                output = []
                i += 2
            } else {
                throw fail("unexpected character '\(c)' at position \(i) in \(quoted())")
            }
            if let item {
                if output != nil {
                    output!.append((item, i - (item == .ellipsis ? 3 : 1)))
                } else {
                    current.append(item)
                }
            }
        }
        if output == nil { inputs.append(current) }
        self.inputs = inputs
        self.output = output
    }

    static func termText(_ items: [EinsumItem]) -> String {
        items.map { item -> String in
            switch item {
            case .index(let c): return String(c)
            case .ellipsis: return "..."
            }
        }.joined()
    }
}

/// The index space of an einsum and how every operand is read in it.
///
/// Dims of the index space: first the ellipsis dims (`ellipsisRank` of them), then one dim per
/// distinct letter. Each operand reads its element at `Σ_d index[d]·stride[op][d]`, where a letter
/// repeated in the term adds its strides (a diagonal) and a size-1 dim that is broadcast has stride 0.
struct EinsumPlan {
    var outputDims: [Int]
    var summedDims: [Int]
    var sizes: [Int]
    /// strides[op][d]
    var strides: [[Int]]

    init(equation: EinsumEquation, shapes: [[Int]]) throws {
        func fail(_ message: String) -> ReferenceError { .invalidEquation(message: message) }
        let terms = equation.inputs
        guard terms.count == shapes.count else {
            throw fail(
                "equation has \(terms.count) operand term\(terms.count == 1 ? "" : "s") but \(shapes.count) operand\(shapes.count == 1 ? " was" : "s were") given"
            )
        }

        // Rank of each term against its operand; the dims each ellipsis covers.
        var ellipsisShapes: [[Int]?] = []
        for (op, term) in terms.enumerated() {
            let letters = term.filter { $0 != .ellipsis }.count
            let rank = shapes[op].count
            let text = EinsumEquation.termText(term)
            if term.contains(.ellipsis) {
                guard rank >= letters else {
                    throw fail(
                        "operand \(op) has shape \(formatShape(shapes[op])) (rank \(rank)) but its term \"\(text)\" names \(letters) indices (a term with '...' needs at least as many dims as indices)"
                    )
                }
                let start = term.firstIndex(of: .ellipsis)!
                ellipsisShapes.append(Array(shapes[op][start..<(start + rank - letters)]))
            } else {
                guard rank == letters else {
                    throw fail(
                        "operand \(op) has shape \(formatShape(shapes[op])) (rank \(rank)) but its term \"\(text)\" names \(letters) ind\(letters == 1 ? "ex" : "ices") (one index per dim)"
                    )
                }
                ellipsisShapes.append(nil)
            }
        }

        // The broadcast shape of all ellipsis parts.
        var ellipsisShape: [Int] = []
        var ellipsisOwner: [Int: Int] = [:]  // aligned-from-right position -> operand that set a non-1 size
        for (op, part) in ellipsisShapes.enumerated() {
            guard let part else { continue }
            if part.count > ellipsisShape.count {
                ellipsisShape = [Int](repeating: 1, count: part.count - ellipsisShape.count) + ellipsisShape
            }
            for k in 0..<part.count {
                let fromRight = part.count - 1 - k
                let position = ellipsisShape.count - 1 - fromRight
                let size = part[k]
                if size == 1 { continue }
                if ellipsisShape[position] == 1 {
                    ellipsisShape[position] = size
                    ellipsisOwner[fromRight] = op
                } else if ellipsisShape[position] != size {
                    let other = ellipsisOwner[fromRight]!
                    throw fail(
                        "the dims covered by '...' do not broadcast: dim \(-1 - fromRight) of the ellipsis has size \(ellipsisShape[position]) in operand \(other) but \(size) in operand \(op) (sizes must be equal or 1)"
                    )
                }
            }
        }
        let ellipsisRank = ellipsisShape.count

        // Letter sizes, with size-1 broadcasting across operands and equal sizes within one operand.
        var letterSize: [Character: (size: Int, operand: Int)] = [:]
        var letterCount: [Character: Int] = [:]
        var firstSeen: [Character] = []
        for (op, term) in terms.enumerated() {
            var inThisOperand: [Character: Int] = [:]
            for (letter, dim) in EinsumPlan.letterDims(term: term, rank: shapes[op].count) {
                let size = shapes[op][dim]
                letterCount[letter, default: 0] += 1
                if let previous = inThisOperand[letter], previous != size {
                    throw fail(
                        "index '\(letter)' is repeated in operand \(op) with sizes \(previous) and \(size) (a repeated index walks a diagonal, so its dims must have equal sizes)"
                    )
                }
                inThisOperand[letter] = size
                if let known = letterSize[letter] {
                    if known.size == 1 && size != 1 {
                        letterSize[letter] = (size, op)
                    } else if size != 1 && known.size != size {
                        throw fail(
                            "index '\(letter)' has size \(known.size) in operand \(known.operand) but \(size) in operand \(op)"
                        )
                    }
                } else {
                    letterSize[letter] = (size, op)
                    firstSeen.append(letter)
                }
            }
        }
        let letters = firstSeen.sorted()
        var letterId: [Character: Int] = [:]
        for (k, letter) in letters.enumerated() { letterId[letter] = ellipsisRank + k }
        sizes = ellipsisShape + letters.map { letterSize[$0]!.size }

        // Output dims.
        var outputDims: [Int] = []
        if let output = equation.output {
            var used = Set<Character>()
            for (item, position) in output {
                switch item {
                case .ellipsis:
                    outputDims += Array(0..<ellipsisRank)
                case .index(let letter):
                    guard let id = letterId[letter] else {
                        throw fail(
                            "output index '\(letter)' at position \(position) in \"\(equation.text)\" does not appear in any input term"
                        )
                    }
                    guard !used.contains(letter) else {
                        throw fail(
                            "output index '\(letter)' at position \(position) in \"\(equation.text)\" appears more than once in the output"
                        )
                    }
                    used.insert(letter)
                    outputDims.append(id)
                }
            }
        } else {
            outputDims = Array(0..<ellipsisRank) + letters.filter { letterCount[$0] == 1 }.map { letterId[$0]! }
        }
        self.outputDims = outputDims
        summedDims = (0..<sizes.count).filter { !outputDims.contains($0) }

        // Strides of every operand in the index space.
        var strides: [[Int]] = []
        for (op, term) in terms.enumerated() {
            let shape = shapes[op]
            let own = rowMajorStrides(shape)
            var s = [Int](repeating: 0, count: sizes.count)
            var dimToSpace: [Int] = []  // index-space dim of each operand dim
            for item in term {
                switch item {
                case .index(let letter):
                    dimToSpace.append(letterId[letter]!)
                case .ellipsis:
                    let covered = ellipsisShapes[op]!.count
                    dimToSpace += Array((ellipsisRank - covered)..<ellipsisRank)
                }
            }
            for k in 0..<shape.count where !(shape[k] == 1 && sizes[dimToSpace[k]] != 1) {
                s[dimToSpace[k]] += own[k]
            }
            strides.append(s)
        }
        self.strides = strides
    }

    /// (letter, operand dim) for every letter of a term, the ellipsis expanded to the dims it covers.
    static func letterDims(term: [EinsumItem], rank: Int) -> [(Character, Int)] {
        let letters = term.filter { $0 != .ellipsis }.count
        var result: [(Character, Int)] = []
        var dim = 0
        for item in term {
            switch item {
            case .index(let letter):
                result.append((letter, dim))
                dim += 1
            case .ellipsis:
                dim += rank - letters
            }
        }
        return result
    }

    /// The naive sum: for every output multi-index, loop over every summed multi-index and add the
    /// product of the operands' elements.
    func evaluate<Scalar: ReferenceScalar>(_ operands: [ReferenceArray<Scalar>]) -> ReferenceArray<Scalar> {
        let outSizes = outputDims.map { sizes[$0] }
        let sumSizes = summedDims.map { sizes[$0] }
        let outStrides = strides.map { s in outputDims.map { s[$0] } }
        let sumStrides = strides.map { s in summedDims.map { s[$0] } }
        let outCount = elementCount(outSizes)
        let sumCount = elementCount(sumSizes)
        let values = operands.map(\.values)

        var result = [Scalar](repeating: 0, count: outCount)
        var base = [Int](repeating: 0, count: operands.count)
        var outIndex = [Int](repeating: 0, count: outSizes.count)
        for o in 0..<outCount {
            var total: Scalar = 0
            var offsets = base
            var sumIndex = [Int](repeating: 0, count: sumSizes.count)
            for _ in 0..<sumCount {
                var product: Scalar = 1
                for op in 0..<values.count { product *= values[op][offsets[op]] }
                total += product
                EinsumPlan.advance(&sumIndex, &offsets, sizes: sumSizes, strides: sumStrides)
            }
            result[o] = total
            EinsumPlan.advance(&outIndex, &base, sizes: outSizes, strides: outStrides)
        }
        return ReferenceArray(shape: outSizes, values: result)
    }

    /// Steps a row-major odometer `index` over `sizes` by one, keeping each operand's offset in step.
    static func advance(_ index: inout [Int], _ offsets: inout [Int], sizes: [Int], strides: [[Int]]) {
        var k = sizes.count - 1
        while k >= 0 {
            index[k] += 1
            for op in 0..<offsets.count { offsets[op] += strides[op][k] }
            if index[k] < sizes[k] { return }
            for op in 0..<offsets.count { offsets[op] -= strides[op][k] * sizes[k] }
            index[k] = 0
            k -= 1
        }
    }
}
