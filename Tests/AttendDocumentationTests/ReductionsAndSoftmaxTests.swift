import Attend
import Foundation
import Testing

/// The snippets of `ReductionsAndSoftmax.md`, run. Expected sums and means are seed 001's printed
/// outputs; softmax values are computed here in Double from the definition.
@Suite("Article: Reductions and softmax along dims")
struct ReductionsAndSoftmaxTests {
    static func seedTensor() throws -> Tensor<Float> {
        // snippet: reductions-seed-tensor
        // x[b, r, c] = (c + 1) · 10^b: three 4 × 5 matrices, as in the notebook
        let values = (0..<60).map { i in Float(i % 5 + 1) * [1, 10, 100][i / 20] }
        let x = try Tensor<Float>(shape: [3, 4, 5], scalars: values)  // [3, 4, 5]
        // snippet-end
        return x
    }

    @Test("the notebook's (3, 4, 5) tensor: rows 1…5, times 10 and 100 in the later matrices")
    func seedTensorValues() throws {
        let x = try Self.seedTensor()
        #expect(try x.selected(0, 0).selected(0, 3).scalars == [1, 2, 3, 4, 5])
        #expect(try x.selected(0, 1).selected(0, 0).scalars == [10, 20, 30, 40, 50])
        #expect(try x.selected(0, 2).selected(0, 2).scalars == [100, 200, 300, 400, 500])
    }

    @Test("sum over dim 0, 1 or 2 removes that dimension (seed 001's three printed results)")
    func sums() throws {
        let x = try Self.seedTensor()
        // snippet: reductions-sum-dims
        let overBatch = try x.sum(dim: 0)  // [4, 5]: every row [111, 222, 333, 444, 555]
        let overRows = try x.sum(dim: 1)  // [3, 5]: [4, 8, 12, 16, 20], [40, …], [400, …]
        let overColumns = try x.sum(dim: 2)  // [3, 4]: [15, 15, 15, 15], [150, …], [1500, …]
        // snippet-end
        #expect(overBatch.shape == [4, 5])
        #expect(overBatch.scalars == Array(repeating: [111, 222, 333, 444, 555], count: 4).flatMap { $0 })
        #expect(overRows.shape == [3, 5])
        #expect(overRows.scalars == [4, 8, 12, 16, 20, 40, 80, 120, 160, 200, 400, 800, 1200, 1600, 2000])
        #expect(overColumns.shape == [3, 4])
        #expect(overColumns.scalars == [15, 15, 15, 15, 150, 150, 150, 150, 1500, 1500, 1500, 1500])
    }

    @Test("negative dims name the same dimensions counted from the end")
    func negativeDims() throws {
        let x = try Self.seedTensor()
        // snippet: reductions-negative-dims
        let last = try x.sum(dim: -1)  // same as dim 2: [3, 4]
        let middle = try x.sum(dim: -2)  // same as dim 1: [3, 5]
        let first = try x.sum(dim: -3)  // same as dim 0: [4, 5]
        let both = try x.sum(dims: [0, -1])  // dims 0 and 2 at once: [4], each 15 + 150 + 1500
        // snippet-end
        #expect(last == (try x.sum(dim: 2)))
        #expect(middle == (try x.sum(dim: 1)))
        #expect(first == (try x.sum(dim: 0)))
        #expect(both.shape == [4])
        #expect(both.scalars == [1665, 1665, 1665, 1665])
        #expect(throws: TensorError.self) { try x.sum(dim: 3) }
        #expect(throws: TensorError.self) { try x.sum(dim: -4) }
    }

    @Test("keepDim keeps the reduced dimension with size 1, so the result broadcasts back")
    func keepDim() throws {
        let x = try Self.seedTensor()
        // snippet: reductions-keepdim
        let kept = try x.mean(dim: -1, keepDim: true)  // [3, 4, 1]: 3, 30, 300 down each matrix
        let dropped = try x.mean(dim: -1)  // [3, 4]
        let centred = try x - kept  // [3, 4, 5] − [3, 4, 1] → [3, 4, 5]
        // snippet-end
        #expect(kept.shape == [3, 4, 1])
        #expect(kept.scalars == [3, 3, 3, 3, 30, 30, 30, 30, 300, 300, 300, 300])  // seed 001's printed means
        #expect(dropped.shape == [3, 4])
        #expect(centred.shape == [3, 4, 5])
        #expect(try centred.selected(0, 2).selected(0, 0).scalars == [-200, -100, 0, 100, 200])
        #expect(throws: TensorError.self) { try x - dropped }  // [3, 4, 5] − [3, 4] does not broadcast
    }

    @Test("softmax keeps the shape; the lines along dim sum to 1")
    func softmaxAlongDims() throws {
        let x = try Self.seedTensor()
        // snippet: reductions-softmax
        let alongRows = try x.softmax(dim: -1)  // [3, 4, 5]: each row of 5 sums to 1
        let alongBatch = try x.softmax(dim: 0)  // [3, 4, 5]: each stack of 3 (x, 10x, 100x) sums to 1
        // snippet-end
        #expect(alongRows.shape == [3, 4, 5])
        #expect(alongBatch.shape == [3, 4, 5])
        // Row [1, 2, 3, 4, 5]: exp(c) / Σ exp, from the definition in Double.
        let denominator = (1...5).reduce(0.0) { $0 + Foundation.exp(Double($1)) }
        let row = try alongRows.selected(0, 0).selected(0, 0).scalars
        for (c, value) in row.enumerated() {
            #expect(Swift.abs(Double(value) - Foundation.exp(Double(c + 1)) / denominator) <= 1e-6)
        }
        // Along dim 0 the column c = 0 stack is [1, 10, 100]: e^100 dominates.
        let stack = [1.0, 10, 100].map { Foundation.exp($0 - 100) }
        let total = stack.reduce(0, +)
        for b in 0..<3 {
            #expect(Swift.abs(Double(alongBatch[b, 0, 0]) - stack[b] / total) <= 1e-6)
        }
        let sums = try alongRows.sum(dim: -1).scalars + alongBatch.sum(dim: 0).scalars
        #expect(sums.allSatisfy { Swift.abs($0 - 1) <= 1e-6 })
    }

    @Test("softmax of huge logits and of an all -inf line")
    func softmaxEdges() throws {
        // snippet: reductions-softmax-edges
        let huge = try Tensor<Float>([1000, 1001, 1002]).softmax()  // [3]: finite (max subtracted)
        let masked = try Tensor<Float>([0, -.infinity, 0]).softmax()  // [0.5, 0, 0.5]
        let allMasked = try Tensor<Float>([-.infinity, -.infinity]).softmax()  // [0, 0], not NaN
        // snippet-end
        let e = [Foundation.exp(-2.0), Foundation.exp(-1.0), 1]
        let total = e.reduce(0, +)
        for i in 0..<3 { #expect(Swift.abs(Double(huge[i]) - e[i] / total) <= 1e-6) }
        #expect(masked.scalars == [0.5, 0, 0.5])
        #expect(allMasked.scalars == [0, 0])
    }
}
