import AttendReference
import Testing

@Suite("Reductions")
struct ReductionTests {
    /// The notebook's x of shape (3, 4, 5): the rows of x[0] are [1, 2, 3, 4, 5], of x[1]
    /// [10, 20, 30, 40, 50], of x[2] [100, 200, 300, 400, 500].
    let x: RA = {
        var values: [Double] = []
        for scale in [1.0, 10, 100] {
            for _ in 0..<4 { values += [1, 2, 3, 4, 5].map { $0 * scale } }
        }
        return RA(shape: [3, 4, 5], values: values)
    }()

    @Test("sum over dim 0 adds the three blocks: rows [111, 222, 333, 444, 555]")
    func sumDim0() throws {
        let row: [Double] = [111, 222, 333, 444, 555]
        expectClose(try Reference.sum(x, dim: 0), shape: [4, 5], row + row + row + row)
    }

    @Test("sum over dim 1 adds the four equal rows of each block")
    func sumDim1() throws {
        expectClose(
            try Reference.sum(x, dim: 1), shape: [3, 5],
            [
                4, 8, 12, 16, 20, 40, 80, 120, 160, 200, 400, 800, 1200, 1600, 2000,
            ])
    }

    @Test("sum over dim 2 adds each row: 15, 150, 1500")
    func sumDim2() throws {
        expectClose(
            try Reference.sum(x, dim: 2), shape: [3, 4], [15, 15, 15, 15, 150, 150, 150, 150, 1500, 1500, 1500, 1500])
    }

    @Test("mean over dim -1 is 3, 30, 300")
    func meanLast() throws {
        expectClose(try Reference.mean(x, dim: -1), shape: [3, 4], [3, 3, 3, 3, 30, 30, 30, 30, 300, 300, 300, 300])
    }

    @Test("an empty dims list reduces over everything; several dims reduce together")
    func allAndSeveral() throws {
        // 4 rows per block: 4·15 + 4·150 + 4·1500.
        expectClose(try Reference.sum(x), shape: [], [6660])
        expectClose(try Reference.sum(x, dims: [0, 2]), shape: [4], [1665, 1665, 1665, 1665])
        expectClose(try Reference.sum(x, dims: [2, 0]), shape: [4], [1665, 1665, 1665, 1665])
        expectClose(try Reference.mean(x, dims: [], keepDim: true), shape: [1, 1, 1], [6660.0 / 60])
    }

    @Test("keepDim leaves the reduced dims as size 1")
    func keepDim() throws {
        expectClose(
            try Reference.sum(x, dim: 1, keepDim: true), shape: [3, 1, 5],
            [
                4, 8, 12, 16, 20, 40, 80, 120, 160, 200, 400, 800, 1200, 1600, 2000,
            ])
    }

    @Test("variance is unbiased by default and biased on request")
    func variance() throws {
        let a = vec([1, 2, 3, 4])
        // Σ(x − 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5.
        expectClose(try Reference.variance(a), shape: [], [5.0 / 3])
        expectClose(try Reference.variance(a, unbiased: false), shape: [], [1.25])
        expectClose(try Reference.standardDeviation(a, unbiased: false), shape: [], [(1.25).squareRoot()])
    }

    @Test("unbiased standard deviation of the LayerNorm notebook rows")
    func standardDeviationNotebook() throws {
        let input = layerNormNotebookInput
        expectClose(
            try Reference.standardDeviation(input, dim: 1), shape: [5], [1.8211, 1.0394, 0.5212, 0.5210, 0.6366],
            tolerance: 1e-3)
    }

    @Test("max and min pick the extreme element; NaN propagates")
    func maxMin() throws {
        let a = mat([[1, 5, 5], [7, 0, 7]])
        expectClose(try Reference.max(a, dim: 1), shape: [2], [5, 7])
        expectClose(try Reference.min(a, dim: 0), shape: [3], [1, 0, 5])
        expectClose(try Reference.max(a), shape: [], [7])
        expectClose(try Reference.min(a, dims: [0, 1], keepDim: true), shape: [1, 1], [0])
        #expect(try Reference.max(vec([1, .nan, 3])).values[0].isNaN)
    }

    @Test("argmax returns the first index of the maximum as a Scalar")
    func argmax() throws {
        let a = mat([[1, 5, 5], [7, 0, 7]])
        expectClose(try Reference.argmax(a, dim: 1), shape: [2], [1, 0])
        expectClose(try Reference.argmax(a, dim: 0), shape: [3], [1, 0, 1])
        expectClose(try Reference.argmax(a, dim: -1, keepDim: true), shape: [2, 1], [1, 0])
        expectClose(try Reference.argmin(a, dim: 1), shape: [2], [0, 1])
    }

    @Test("bad dims throw naming the op and the shape")
    func errors() {
        let outOfRange = errorMessage { _ = try Reference.sum(x, dim: 3) }
        #expect(outOfRange.hasPrefix("sum:") && outOfRange.contains("[3, 4, 5]"))
        #expect(errorMessage { _ = try Reference.mean(x, dims: [1, -2]) }.hasPrefix("mean:"))
        #expect(errorMessage { _ = try Reference.max(RA(shape: [0, 2], repeating: 0), dim: 0) }.hasPrefix("max:"))
    }
}
