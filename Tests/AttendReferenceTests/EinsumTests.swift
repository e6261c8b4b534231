import AttendReference
import Testing

@Suite("einsum")
struct EinsumTests {
    let a = mat([[1, 2], [3, 4]])
    let b = mat([[5, 6], [7, 8]])
    let r = mat([[1, 2, 3], [4, 5, 6]])  // [2, 3]

    @Test("\"ii\" is the trace, a rank-0 result")
    func trace() throws {
        expectClose(try Reference.einsum("ii", [a]), shape: [], [5])
        expectClose(try Reference.einsum("ii->", [a]), shape: [], [5])
    }

    @Test("\"ii->i\" is the diagonal")
    func diagonal() throws {
        expectClose(try Reference.einsum("ii->i", [a]), shape: [2], [1, 4])
        // A diagonal combined with another operand: out[i] = a[i, i]·v[i].
        expectClose(try Reference.einsum("ii,i->i", [a, vec([10, 100])]), shape: [2], [10, 400])
    }

    @Test("\"ij->ji\" transposes and \"ij->j\", \"ij->\" sum")
    func transposeAndSums() throws {
        expectClose(try Reference.einsum("ij->ji", [r]), shape: [3, 2], [1, 4, 2, 5, 3, 6])
        expectClose(try Reference.einsum("ij->j", [r]), shape: [3], [5, 7, 9])
        expectClose(try Reference.einsum("ij->", [r]), shape: [], [21])
    }

    @Test("outer product, dot product and matrix product")
    func products() throws {
        expectClose(
            try Reference.einsum("i,j->ij", [vec([1, 2]), vec([3, 4, 5])]), shape: [2, 3], [3, 4, 5, 6, 8, 10])
        expectClose(try Reference.einsum("i,i->", [vec([1, 2, 3]), vec([4, 5, 6])]), shape: [], [32])
        expectClose(try Reference.einsum("ij,jk->ik", [a, b]), shape: [2, 2], [19, 22, 43, 50])
        expectClose(try Reference.einsum("ij,jk->ik", a, b), shape: [2, 2], [19, 22, 43, 50])
    }

    @Test("three operands chain: \"ij,jk,kl->il\"")
    func threeOperands() throws {
        // (A·B)·I = [[19, 22], [43, 50]]
        let identity = mat([[1, 0], [0, 1]])
        expectClose(try Reference.einsum("ij,jk,kl->il", [a, b, identity]), shape: [2, 2], [19, 22, 43, 50])
    }

    @Test("implicit output keeps the once-seen indices in alphabetical order")
    func implicitOrder() throws {
        expectClose(try Reference.einsum("ij,jk", [a, b]), shape: [2, 2], [19, 22, 43, 50])
        expectClose(try Reference.einsum("i,j", [vec([1, 2]), vec([3, 4, 5])]), shape: [2, 3], [3, 4, 5, 6, 8, 10])
        // "ba" alone means "ba->ab": a transpose.
        expectClose(try Reference.einsum("ba", [r]), shape: [3, 2], [1, 4, 2, 5, 3, 6])
        // "kj,ji": j is summed, output "ik": out[i, k] = Σ_j A[k, j]·B[j, i] = (A·B)ᵀ.
        expectClose(try Reference.einsum("kj,ji", [a, b]), shape: [2, 2], [19, 43, 22, 50])
        // Upper case sorts before lower case (ASCII): "bA" → "Ab".
        expectClose(try Reference.einsum("bA", [r]), shape: [3, 2], [1, 4, 2, 5, 3, 6])
    }

    @Test("spaces are ignored")
    func spaces() throws {
        expectClose(try Reference.einsum(" ij , jk -> ik ", [a, b]), shape: [2, 2], [19, 22, 43, 50])
    }

    @Test("batched \"bhld,bhmd->bhlm\" equals matmul with the keys transposed")
    func batchedAttentionScores() throws {
        let q = pseudoRandom([2, 2, 3, 4], seed: 11)
        let k = pseudoRandom([2, 2, 5, 4], seed: 12)
        let viaEinsum = try Reference.einsum("bhld,bhmd->bhlm", [q, k])
        let viaMatmul = try Reference.matmul(q, Reference.transposed(k, -1, -2))
        expectClose(viaEinsum, viaMatmul, tolerance: 1e-14)
        // One entry by hand: Σ_d q[1, 0, 2, d]·k[1, 0, 4, d].
        var dot = 0.0
        for d in 0..<4 { dot += q[[1, 0, 2, d]] * k[[1, 0, 4, d]] }
        #expect(abs(viaEinsum[[1, 0, 2, 4]] - dot) < 1e-15)
    }

    @Test("ellipsis dims broadcast; implicit output puts them first")
    func ellipsis() throws {
        let stacked = RA(shape: [2, 2, 2], values: [1, 0, 0, 1, 2, 0, 0, 2])  // I, 2I
        let expected: [Double] = [5, 6, 7, 8, 10, 12, 14, 16]
        expectClose(try Reference.einsum("...ij,...jk->...ik", [stacked, b]), shape: [2, 2, 2], expected)
        expectClose(try Reference.einsum("...ij,...jk", [stacked, b]), shape: [2, 2, 2], expected)
        // Ellipsis dims of different ranks align from the right: [2, 1] with [3] → [2, 3].
        let x = RA(shape: [2, 1, 2], values: [1, 2, 3, 4])
        let y = RA(shape: [3, 2], values: [1, 0, 0, 1, 1, 1])
        expectClose(try Reference.einsum("...i,...i->...", [x, y]), shape: [2, 3], [1, 2, 3, 3, 4, 7])
        // An ellipsis in the middle of a term.
        expectClose(try Reference.einsum("i...->...i", [r]), shape: [3, 2], [1, 4, 2, 5, 3, 6])
    }

    @Test("ellipsis dims missing from an explicit output are summed")
    func ellipsisSummed() throws {
        expectClose(try Reference.einsum("...i->i", [r]), shape: [3], [5, 7, 9])
    }

    @Test("a size-1 dim broadcasts against another size of the same index")
    func sizeOneBroadcast() throws {
        let column = mat([[1], [2]])  // [2, 1]
        expectClose(try Reference.einsum("ij,ij->ij", [column, r]), shape: [2, 3], [1, 2, 3, 8, 10, 12])
    }

    @Test("works in Float")
    func float() throws {
        let f = try Reference.einsum("ij,jk->ik", [a.converted(to: Float.self), b.converted(to: Float.self)])
        #expect(f.values == [19, 22, 43, 50])
    }

    @Test("an index with two sizes names the index, sizes and operands")
    func sizeMismatch() {
        let message = errorMessage {
            _ = try Reference.einsum(
                "bd,bd->b", [RA(shape: [1, 32], repeating: 1), RA(shape: [1, 16], repeating: 1)])
        }
        #expect(message == "einsum: index 'd' has size 32 in operand 0 but 16 in operand 1")
    }

    @Test("an operand count different from the term count is reported")
    func operandCount() {
        #expect(
            errorMessage { _ = try Reference.einsum("ij,jk->ik", [a, b, a]) }
                == "einsum: equation has 2 operand terms but 3 operands were given")
        #expect(
            errorMessage { _ = try Reference.einsum("ij,jk->ik", [a]) }
                == "einsum: equation has 2 operand terms but 1 operand was given")
    }

    @Test("parse errors point at the offending character")
    func parseErrors() {
        #expect(
            errorMessage { _ = try Reference.einsum("ij,j#->i", [a, vec([1, 2])]) }
                == "einsum: unexpected character '#' at position 4 in \"ij,j#->i\"")
        #expect(
            errorMessage { _ = try Reference.einsum("i.j->i", [a]) }
                == "einsum: '.' at position 1 in \"i.j->i\" is not part of an ellipsis '...'")
        #expect(
            errorMessage { _ = try Reference.einsum("ij-ji", [a]) }
                == "einsum: unexpected character '-' at position 2 in \"ij-ji\" ('-' must start the arrow '->')")
        #expect(
            errorMessage { _ = try Reference.einsum("ij->j->i", [a]) }
                == "einsum: second '->' at position 5 in \"ij->j->i\" (an equation has at most one output)")
        #expect(
            errorMessage { _ = try Reference.einsum("ij->i,j", [a]) }
                == "einsum: unexpected character ',' at position 5 in \"ij->i,j\" (the output after '->' is a single term)"
        )
        #expect(
            errorMessage { _ = try Reference.einsum("...i...->i", [a]) }
                == "einsum: second ellipsis '...' at position 4 in \"...i...->i\" (a term may hold at most one)")
        #expect(
            errorMessage { _ = try Reference.einsum("ij>i", [a]) }
                == "einsum: unexpected character '>' at position 2 in \"ij>i\"")
    }

    @Test("an output index absent from the inputs, or repeated, is reported with its position")
    func outputErrors() {
        #expect(
            errorMessage { _ = try Reference.einsum("ij->ik", [a]) }
                == "einsum: output index 'k' at position 5 in \"ij->ik\" does not appear in any input term")
        #expect(
            errorMessage { _ = try Reference.einsum("ij->ii", [a]) }
                == "einsum: output index 'i' at position 5 in \"ij->ii\" appears more than once in the output")
    }

    @Test("a term whose index count does not fit its operand's rank is reported")
    func rankErrors() {
        #expect(
            errorMessage { _ = try Reference.einsum("ij->i", [RA(shape: [2, 3, 4], repeating: 0)]) }
                == "einsum: operand 0 has shape [2, 3, 4] (rank 3) but its term \"ij\" names 2 indices (one index per dim)"
        )
        #expect(
            errorMessage { _ = try Reference.einsum("...ij->i", [vec([1, 2])]) }
                == "einsum: operand 0 has shape [2] (rank 1) but its term \"...ij\" names 2 indices (a term with '...' needs at least as many dims as indices)"
        )
    }

    @Test("a diagonal of unequal dims and non-broadcasting ellipsis dims are reported")
    func otherShapeErrors() {
        #expect(
            errorMessage { _ = try Reference.einsum("ii->i", [r]) }
                == "einsum: index 'i' is repeated in operand 0 with sizes 2 and 3 (a repeated index walks a diagonal, so its dims must have equal sizes)"
        )
        let message = errorMessage {
            _ = try Reference.einsum(
                "...i,...i->...", [RA(shape: [2, 3], repeating: 0), RA(shape: [4, 3], repeating: 0)])
        }
        #expect(message.hasPrefix("einsum: the dims covered by '...' do not broadcast"))
    }
}
