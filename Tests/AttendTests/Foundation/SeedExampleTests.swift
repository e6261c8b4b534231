import Attend
import AttendReference
import AttendVerification
import Testing

/// The worked examples of the learner notebooks (shared/seeds), with their printed values.
@Suite("Seed notebook examples")
struct SeedExampleTests {
    /// Seed 001's (3, 4, 5) tensor: rows [1…5], [10…50], [100…500].
    static let seed001: Tensor<Float> = {
        func block(_ scale: Float) -> [Float] {
            Array((0..<4).map { _ in (1...5).map { Float($0) * scale } }.joined())
        }
        return try! Tensor(shape: [3, 4, 5], scalars: block(1) + block(10) + block(100))
    }()

    @Test("sum over dim 0 of seed 001's (3,4,5) tensor is the printed 4×5 of 111…555")
    func sumDim0() throws {
        let expected = Array(repeatElement([111.0, 222, 333, 444, 555], count: 4).joined())
        expectValues(try Self.seed001.sum(dim: 0), shape: [4, 5], expected)
    }

    @Test("sum over dim 1 of seed 001's tensor is the printed 3×5")
    func sumDim1() throws {
        expectValues(
            try Self.seed001.sum(dim: 1), shape: [3, 5],
            [4, 8, 12, 16, 20, 40, 80, 120, 160, 200, 400, 800, 1200, 1600, 2000])
    }

    @Test("sum over dim 2 (and dim -1) of seed 001's tensor is the printed 3×4")
    func sumDim2() throws {
        let expected = [15.0, 15, 15, 15, 150, 150, 150, 150, 1500, 1500, 1500, 1500]
        expectValues(try Self.seed001.sum(dim: 2), shape: [3, 4], expected)
        expectValues(try Self.seed001.sum(dim: -1), shape: [3, 4], expected)
    }

    @Test("mean over dim -1 with keepDim gives the printed (3,4,1) column of 3, 30, 300")
    func meanKeepDim() throws {
        let expected = [3.0, 3, 3, 3, 30, 30, 30, 30, 300, 300, 300, 300]
        expectValues(try Self.seed001.mean(dim: -1, keepDim: true), shape: [3, 4, 1], expected)
        expectValues(try Self.seed001.mean(dim: -1), shape: [3, 4], expected)
    }

    @Test("seed 000 Problem 2: squared distances by broadcasting A[:, None, :] - B[None, :, :]")
    func pairwiseDistancesByBroadcasting() throws {
        let a = try Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
        let b = try Tensor<Float>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])
        let diff = try a.unsqueezed(1) - b.unsqueezed(0)  // [5, 3, 2]
        #expect(diff.shape == [5, 3, 2])
        let distances = try diff.squared().sum(dim: 2)  // [5, 3]
        expectValues(
            distances, shape: [5, 3],
            [
                0.5, 12.5, 200, 0.5, 4.5, 162, 4.5, 0.5, 128, 12.5, 0.5, 98, 24.5, 4.5, 72,
            ])
    }

    @Test("seed 000 Problem 3: unfold(0, 3, 1) gives overlapping windows with strides (1, 1)")
    func unfoldWindows() throws {
        let signal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        let windows = try signal.unfolded(0, size: 3, step: 1)  // [8, 3]
        #expect(windows.shape == [8, 3])
        #expect(windows.strides == [1, 1])
        #expect(windows.sharesStorage(with: signal))
        expectValues(
            try windows.narrowed(0, start: 0, length: 3), shape: [3, 3], [10, 20, 30, 20, 30, 40, 30, 40, 50])
    }

    @Test("seed 000 Problem 3: step 3 gives non-overlapping windows with strides (3, 1)")
    func unfoldStepThree() throws {
        let signal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        let patches = try signal.unfolded(0, size: 3, step: 3)  // [3, 3]
        #expect(patches.strides == [3, 1])
        expectValues(patches, shape: [3, 3], [10, 20, 30, 40, 50, 60, 70, 80, 90])
    }

    @Test("seed 000 Problem 3: windows · kernel [0.5, 1, 0.5] is [40, 60, …, 180]")
    func convolutionByUnfoldAndMatmul() throws {
        let signal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        let kernel = Tensor<Float>([0.5, 1.0, 0.5])
        let result = try matmul(try signal.unfolded(0, size: 3, step: 1), kernel)  // [8, 3] · [3] → [8]
        expectValues(result, shape: [8], [40, 60, 80, 100, 120, 140, 160, 180])
    }

    @Test("seed 000 Problem 1: Q·Kᵀ at (2,4,10,32) matches the reference within the dot-product bound")
    func attentionScoresAtSeedShape() throws {
        var factory = TensorFactory(seed: 2024)
        let q: Tensor<Float> = factory.randn([2, 4, 10, 32])
        let k: Tensor<Float> = factory.randn([2, 4, 10, 32])
        let scores = try matmul(q, k.transposed(-2, -1))  // [2, 4, 10, 10]
        #expect(scores.shape == [2, 4, 10, 10])
        let kT = try Reference.transposed(k.reference, -2, -1)
        let exact = try Reference.matmul(q.reference, kT)
        let absProduct = try Reference.matmul(q.reference.magnitudes, kT.magnitudes)
        expectWithinBound(
            scores, exact,
            bound: ErrorBounds.float.dotProduct(absProduct: absProduct.values, exact: exact.values, k: 32))
    }
}
