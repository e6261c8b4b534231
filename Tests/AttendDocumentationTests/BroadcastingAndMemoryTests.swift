import Attend
import Testing

/// The snippets of `BroadcastingAndMemory.md`, run. The distance matrix is seed 000's printed
/// output; sizes are products worked out by hand.
@Suite("Article: Broadcasting and its memory trap")
struct BroadcastingAndMemoryTests {
    @Test("shapes broadcast from the right; size-1 dimensions stretch")
    func rule() throws {
        // snippet: broadcast-rule
        let out = try broadcastShapes([5, 1, 2], [1, 3, 2])  // [5, 3, 2]
        let lead = try broadcastShapes([8, 1, 4], [4])  // [8, 1, 4]: [4] is aligned on the right
        let clash = Result { try broadcastShapes([5, 2], [3, 2]) }  // .failure: 5 vs 3, neither is 1
        // snippet-end
        #expect(out == [5, 3, 2])
        #expect(lead == [8, 1, 4])
        guard case .failure(let error) = clash else {
            Issue.record("[5, 2] and [3, 2] must not broadcast")
            return
        }
        #expect("\(error)".contains("[5, 2]") && "\(error)".contains("[3, 2]"))
    }

    @Test("the unsqueeze trick gives seed 000's (5, 3) squared-distance matrix")
    func pairwise() throws {
        // snippet: broadcast-pairwise
        let a = try Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])  // [5, 2]
        let b = try Tensor<Float>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])  // [3, 2]
        let left = a.unsqueezed(1)  // [5, 1, 2]   (PyTorch: A[:, None, :])
        let right = b.unsqueezed(0)  // [1, 3, 2]   (PyTorch: B[None, :, :])
        let diff = try left - right  // [5, 3, 2]: 30 numbers, materialized
        let distances = try diff.squared().sum(dim: 2)  // [5, 3]
        // snippet-end
        #expect(left.shape == [5, 1, 2] && right.shape == [1, 3, 2])
        #expect(diff.shape == [5, 3, 2])
        #expect(distances.shape == [5, 3])
        // Seed 000's printed matrix.
        #expect(distances.scalars == [0.5, 12.5, 200, 0.5, 4.5, 162, 4.5, 0.5, 128, 12.5, 0.5, 98, 24.5, 4.5, 72])
    }

    @Test("an expanded operand has stride 0: broadcasting itself copies nothing")
    func strideZero() throws {
        // snippet: broadcast-stride-zero
        let a = try Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])  // strides [2, 1]
        let stretched = try a.unsqueezed(1).expanded(to: [5, 3, 2])  // [5, 3, 2], strides [2, 0, 1]
        let sameBuffer = stretched.sharesStorage(with: a)  // true: 10 numbers, read 3 times
        // snippet-end
        #expect(stretched.strides == [2, 0, 1])
        #expect(sameBuffer)
        #expect(stretched[4, 2, 1] == 4 && stretched[4, 0, 1] == 4)
    }

    @Test("1000 × 1000 × 512: the broadcast form needs 2 GB, the GEMM form 4 MB")
    func memoryTrap() throws {
        // snippet: broadcast-memory-trap
        let points = TensorLayout(contiguous: [1000, 512])  // 1000 points of 512 features
        let broadcast = try squaredDistancesPlan(points, points, method: .broadcasting, scalar: Float.self)
        let gemm = try squaredDistancesPlan(points, points, method: .gemm, scalar: Float.self)
        let diffShape = broadcast.intermediates[0].shape  // [1000, 1000, 512]
        let gemmCalls = gemm.gemmCalls  // one sgemm, M = N = 1000, K = 512
        // snippet-end
        #expect(diffShape == [1000, 1000, 512])
        #expect(diffShape.reduce(1, *) * MemoryLayout<Float>.stride == 2_048_000_000)  // 512 million floats
        #expect(gemmCalls.count == 1)
        #expect(gemmCalls[0].m == 1000 && gemmCalls[0].n == 1000 && gemmCalls[0].k == 512)
        #expect(gemmCalls[0].transB && gemmCalls[0].alpha == -2)
        #expect(gemm.copies.isEmpty)
        let largest = gemm.intermediates.map { $0.shape.reduce(1, *) }.max() ?? 0
        #expect(largest * MemoryLayout<Float>.stride == 4_000_000)
    }

    @Test("squaredDistances gives the same matrix both ways on the seed's points")
    func bothForms() throws {
        // snippet: broadcast-both-forms
        let a = try Tensor<Float>(rows: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])  // [5, 2]
        let b = try Tensor<Float>(rows: [[0.5, 0.5], [2.5, 2.5], [10, 10]])  // [3, 2]
        let exact = try squaredDistances(a, b, method: .broadcasting)  // [5, 3]
        let viaGEMM = try squaredDistances(a, b, method: .gemm)  // [5, 3]: ‖a‖² + ‖b‖² − 2·a·bᵀ
        let automatic = try squaredDistances(a, b)  // small: .broadcasting
        // snippet-end
        let seed: [Float] = [0.5, 12.5, 200, 0.5, 4.5, 162, 4.5, 0.5, 128, 12.5, 0.5, 98, 24.5, 4.5, 72]
        #expect(exact.scalars == seed)
        #expect(automatic.scalars == seed)
        // The GEMM form rounds ‖a‖², ‖b‖² and 2·a·b (each ≤ 200 here) before subtracting: a few
        // units of roundoff u = 2⁻²⁴ of the largest term, 16·u·(200 + 200) as a generous bound.
        let bound = 16 * (Float.ulpOfOne / 2) * 400
        for (value, expected) in zip(viaGEMM.scalars, seed) {
            #expect(Swift.abs(value - expected) <= bound)
        }
    }
}
