import AttendReference
import Testing

@Suite("matmul")
struct MatmulTests {
    let a = mat([[1, 2], [3, 4]])
    let b = mat([[5, 6], [7, 8]])

    @Test("2-D times 2-D is the matrix product")
    func matrices() throws {
        expectClose(try Reference.matmul(a, b), shape: [2, 2], [19, 22, 43, 50])
    }

    @Test("1-D times 1-D is the dot product, a rank-0 result")
    func dot() throws {
        expectClose(try Reference.matmul(vec([1, 2, 3]), vec([4, 5, 6])), shape: [], [32])
    }

    @Test("a 1-D left operand is a row and a 1-D right operand a column, the added dim removed")
    func promotion() throws {
        expectClose(try Reference.matmul(vec([1, 2]), b), shape: [2], [19, 22])
        expectClose(try Reference.matmul(a, vec([5, 6])), shape: [2], [17, 39])
        // [n] · [B, n, m] → [B, m]
        let stacked = RA(shape: [2, 2, 2], values: b.values + a.values)
        expectClose(try Reference.matmul(vec([1, 2]), stacked), shape: [2, 2], [19, 22, 7, 10])
    }

    @Test("batch dims broadcast")
    func batches() throws {
        // A0 = I, A1 = 2I against one matrix: the second block is doubled.
        let stacked = RA(shape: [2, 2, 2], values: [1, 0, 0, 1, 2, 0, 0, 2])
        let m = mat([[1, 2, 3], [4, 5, 6]])
        expectClose(try Reference.matmul(stacked, m), shape: [2, 2, 3], [1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12])

        // [2, 1, 2, 2] · [3, 2, 2] → [2, 3, 2, 2]; block (i, j) = L_i · R_j.
        let left = RA(shape: [2, 1, 2, 2], values: [1, 0, 0, 1, 0, 1, 1, 0])  // I, swap
        let right = RA(shape: [3, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1])
        let product = try Reference.matmul(left, right)
        #expect(product.shape == [2, 3, 2, 2])
        expectClose(
            try Reference.narrow(Reference.narrow(product, dim: 0, start: 1, length: 1), dim: 1, start: 1, length: 1),
            shape: [1, 1, 2, 2], [7, 8, 5, 6])  // swap · [[5, 6], [7, 8]] swaps the rows
        expectClose(
            try Reference.narrow(Reference.narrow(product, dim: 0, start: 0, length: 1), dim: 1, start: 0, length: 1),
            shape: [1, 1, 2, 2], [1, 2, 3, 4])
    }

    @Test("mismatched inner sizes throw naming both shapes")
    func mismatch() {
        let message = errorMessage {
            _ = try Reference.matmul(RA(shape: [2, 3], repeating: 1), RA(shape: [4, 5], repeating: 1))
        }
        #expect(
            message == "matmul: a [2, 3] and b [4, 5] cannot be multiplied: a.shape[-1] (3) must equal b.shape[-2] (4)")
        #expect(errorMessage { _ = try Reference.matmul(RA(shape: [], values: [1]), vec([1])) }.hasPrefix("matmul:"))
        #expect(
            errorMessage {
                _ = try Reference.matmul(RA(shape: [2, 1, 2], repeating: 1), RA(shape: [3, 2, 1], repeating: 1))
            }.hasPrefix("matmul:"))
    }
}
