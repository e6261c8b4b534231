import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

@Suite("Reductions and softmax against the reference")
struct ReductionAndSoftmaxTests {
    @Test("sum, mean, variance and std over one or several dims, in every layout", arguments: Layout.allCases)
    func reductions(layout: Layout) throws {
        var factory = TensorFactory(seed: 21)
        let x: Tensor<Float> = factory.randn([3, 5, 7], layout)
        let r = x.reference
        for (dims, keep) in [([0], false), ([-1], true), ([0, 2], false), ([], false), ([1, -1], true)] {
            let n = dims.isEmpty ? x.count : dims.map { x.shape[($0 + 3) % 3] }.reduce(1, *)
            let exactSum = try Reference.sum(r, dims: dims, keepDim: keep)
            let absSum = try Reference.sum(r.magnitudes, dims: dims, keepDim: keep)
            expectWithinBound(
                try x.sum(dims: dims, keepDim: keep), exactSum,
                bound: ErrorBounds.float.doubleAccumulatedSum(sum: exactSum.values, absSum: absSum.values, n: n),
                "sum \(dims)")
            let exactMean = try Reference.mean(r, dims: dims, keepDim: keep)
            expectWithinBound(
                try x.mean(dims: dims, keepDim: keep), exactMean,
                bound: ErrorBounds.float.mean(exactMean.values, absSum: absSum.values, n: n), "mean \(dims)")
            for unbiased in [true, false] {
                let exactVar = try Reference.variance(r, dims: dims, unbiased: unbiased, keepDim: keep)
                expectWithinBound(
                    try x.variance(dims: dims, unbiased: unbiased, keepDim: keep), exactVar,
                    bound: try ErrorBounds.float.variance(
                        r, dims: dims, unbiased: unbiased, keepDim: keep, exact: exactVar),
                    "var \(dims)")
                let exactStd = try Reference.standardDeviation(r, dims: dims, unbiased: unbiased, keepDim: keep)
                expectWithinBound(
                    try x.standardDeviation(dims: dims, unbiased: unbiased, keepDim: keep), exactStd,
                    bound: try ErrorBounds.float.standardDeviation(
                        r, dims: dims, unbiased: unbiased, keepDim: keep, exact: exactStd), "std \(dims)")
            }
            // max/min are exact.
            expectWithinBound(
                try x.max(dims: dims, keepDim: keep), try Reference.max(r, dims: dims, keepDim: keep),
                bound: Array(repeating: 0, count: max(1, x.count / n)))
            expectWithinBound(
                try x.min(dims: dims, keepDim: keep), try Reference.min(r, dims: dims, keepDim: keep),
                bound: Array(repeating: 0, count: max(1, x.count / n)))
        }
    }

    @Test("argmax along each dim matches the reference's indices")
    func argmax() throws {
        var factory = TensorFactory(seed: 22)
        let x: Tensor<Float> = factory.randn([4, 6, 5], .permuted)
        for dim in [0, 1, -1] {
            let indices = try x.argmax(dim: dim)
            let expected = try Reference.argmax(x.reference, dim: dim)
            #expect(indices.shape == expected.shape)
            #expect(indices.elements == expected.values.map { Int($0) })
        }
    }

    @Test("std is unbiased by default, like PyTorch: seed 001's LayerNorm input rows")
    func unbiasedStdSeedValues() throws {
        let x = try Tensor<Float>(
            shape: [1, 5, 4],
            scalars: [
                1.9269, 1.4873, 0.9007, -2.1055, -0.7581, 1.0783, 0.8008, 1.6806, 0.3559, -0.6866, -0.4934, 0.2415,
                -0.2316, 0.0418, -0.2516, 0.8599, -0.3097, -0.3957, 0.8034, -0.6216,
            ])
        expectValues(
            try x.standardDeviation(dim: 2), shape: [1, 5], [1.8211, 1.0394, 0.5212, 0.5210, 0.6366],
            absoluteTolerance: 1e-4)
    }

    @Test("softmax and logSoftmax along every dim and layout match the reference", arguments: Layout.allCases)
    func softmaxMatchesReference(layout: Layout) throws {
        var factory = TensorFactory(seed: 31)
        let x: Tensor<Float> = factory.randn([3, 4, 9], layout) * 4
        for dim in [0, 1, -1] {
            let exact = try Reference.softmax(x.reference, dim: dim)
            let maxes = try Reference.max(x.reference, dims: [dim], keepDim: true)
            let shift = try Reference.subtract(x.reference, maxes).values
            let bound = ErrorBounds.float.softmax(probabilities: exact.values, shifts: shift)
            expectWithinBound(try x.softmax(dim: dim), exact, bound: bound, "softmax dim \(dim)")
            let exactLog = try Reference.logSoftmax(x.reference, dim: dim)
            expectWithinBound(
                try x.logSoftmax(dim: dim), exactLog,
                bound: ErrorBounds.float.logSoftmax(exactLog, dim: dim), "logSoftmax dim \(dim)")
        }
    }

    @Test("softmax of logits ±1e4 is finite and exact: [1e4, -1e4, 1e4] → [0.5, 0, 0.5]")
    func extremeLogits() throws {
        let p = try Tensor<Float>([1e4, -1e4, 1e4]).softmax()
        expectValues(p, shape: [3], [0.5, 0, 0.5])
        let logp = try Tensor<Float>([1e4, -1e4, 1e4]).logSoftmax()
        #expect(logp.scalars.allSatisfy { $0.isFinite })
    }

    @Test("softmax gives -inf entries weight 0, and an all -inf row zeros instead of NaN")
    func infiniteLogits() throws {
        let x = try Tensor<Float>(rows: [[0, -.infinity, 0], [-.infinity, -.infinity, -.infinity]])
        expectValues(try x.softmax(dim: -1), shape: [2, 3], [0.5, 0, 0.5, 0, 0, 0])
        let logp = try x.logSoftmax(dim: -1).scalars
        #expect(logp[3...].allSatisfy { $0 == -.infinity })
        #expect(try Reference.softmax(x.reference, dim: -1).values == [0.5, 0, 0.5, 0, 0, 0])
    }

    @Test("maskedFill writes the value where the broadcast mask is true")
    func maskedFill() throws {
        let x = try Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        let mask = try BoolTensor(shape: [3], elements: [false, true, false])
        // Rows [1, -inf, 3] and [4, -inf, 6]: weights 1/(1+e²) and e²/(1+e²).
        let low = 1 / (1 + Double.exp(2))
        let high = 1 - low
        expectValues(
            try x.maskedFill(mask, with: -.infinity).softmax(dim: -1), shape: [2, 3],
            [low, 0, high, low, 0, high], absoluteTolerance: 1e-7)
        let error = #expect(throws: TensorError.self) {
            try x.maskedFill(BoolTensor(shape: [2], repeating: true), with: 0)
        }
        #expect(error?.message.contains("[2] does not broadcast") == true)
    }
}
