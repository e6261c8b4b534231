import AttendReference
import Foundation
import Testing

@Suite("Softmax and log-softmax")
struct SoftmaxTests {
    @Test("softmax of [1, 2, 3] is exp(x)/Σexp(x)")
    func small() throws {
        let total = exp(1.0) + exp(2.0) + exp(3.0)
        expectClose(
            try Reference.softmax(vec([1, 2, 3])), shape: [3], [exp(1) / total, exp(2) / total, exp(3) / total])
    }

    @Test("log-softmax of [1, 2, 3] is x − log Σexp(x)")
    func logSmall() throws {
        let logTotal = log(exp(1.0) + exp(2.0) + exp(3.0))
        expectClose(try Reference.logSoftmax(vec([1, 2, 3])), shape: [3], [1 - logTotal, 2 - logTotal, 3 - logTotal])
    }

    @Test("extreme logits ±1e4 give finite results in Double and Float")
    func extreme() throws {
        expectClose(try Reference.softmax(vec([1e4, -1e4, 0])), shape: [3], [1, 0, 0])
        expectClose(try Reference.softmax(vec([1e4, 1e4])), shape: [2], [0.5, 0.5])
        expectClose(try Reference.logSoftmax(vec([1e4, 1e4])), shape: [2], [-log(2.0), -log(2.0)])
        let f = try Reference.softmax(ReferenceArray<Float>(shape: [3], values: [1e4, -1e4, 1e4]))
        #expect(f.values == [0.5, 0, 0.5])
        let lf = try Reference.logSoftmax(ReferenceArray<Float>(shape: [2], values: [-1e4, 1e4]))
        #expect(lf.values.allSatisfy { $0.isFinite })
        #expect(lf.values[1] == 0)
        #expect(lf.values[0] == -2e4)
    }

    @Test("-inf entries get weight 0; an all -inf row gives zeros (softmax) and -inf (log-softmax)")
    func negativeInfinity() throws {
        let x = mat([[0, -.infinity, 0], [-.infinity, -.infinity, -.infinity]])
        expectClose(try Reference.softmax(x, dim: 1), shape: [2, 3], [0.5, 0, 0.5, 0, 0, 0])
        let l = try Reference.logSoftmax(x, dim: 1)
        #expect(abs(l.values[0] - log(0.5)) < 1e-15)
        #expect(l.values[1] == -.infinity)
        #expect(abs(l.values[2] - log(0.5)) < 1e-15)
        #expect(l.values[3...].allSatisfy { $0 == -.infinity })
    }

    @Test("every line sums to 1 along the chosen dim")
    func rowsSumToOne() throws {
        let x = pseudoRandom([3, 4, 5], seed: 1)
        for dim in [0, 1, -1] {
            let s = try Reference.softmax(Reference.multiply(x, RA(shape: [], values: [10])), dim: dim)
            let sums = try Reference.sum(s, dim: dim)
            expectClose(sums, shape: sums.shape, [Double](repeating: 1, count: sums.count), tolerance: 1e-14)
            #expect(s.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test("softmax along dim 0 normalizes columns")
    func columns() throws {
        // Column 0: [0, log 3] → [1/4, 3/4]; column 1: equal → [1/2, 1/2].
        expectClose(
            try Reference.softmax(mat([[0, 5], [log(3.0), 5]]), dim: 0), shape: [2, 2], [0.25, 0.5, 0.75, 0.5],
            tolerance: 1e-15)
    }
}
