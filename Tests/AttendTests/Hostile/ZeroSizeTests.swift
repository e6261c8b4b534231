import Foundation
import Testing

@testable import Attend

/// Zero-size dimensions are ordinary shapes: the ops return correctly shaped (possibly empty)
/// results and never crash. Where a result has elements but a reduction is empty, the value is
/// the empty reduction's: a sum of nothing is 0, and attention over no keys is a fully masked row
/// (zeros, as everywhere in Attend).
@Suite("Zero-size dimensions")
struct ZeroSizeTests {
    static let attentionShapes: [(q: [Int], k: [Int], v: [Int], out: [Int])] = [
        ([0, 2, 4, 8], [0, 2, 4, 8], [0, 2, 4, 8], [0, 2, 4, 8]),  // B = 0
        ([1, 0, 4, 8], [1, 0, 4, 8], [1, 0, 4, 8], [1, 0, 4, 8]),  // H = 0
        ([1, 2, 0, 8], [1, 2, 4, 8], [1, 2, 4, 8], [1, 2, 0, 8]),  // Lq = 0
        ([1, 2, 0, 8], [1, 2, 0, 8], [1, 2, 0, 8], [1, 2, 0, 8]),  // L = 0
        ([1, 2, 4, 8], [1, 2, 4, 8], [1, 2, 4, 0], [1, 2, 4, 0]),  // Dv = 0
    ]

    @Test(
        "attention with B, H, Lq or Dv = 0 returns an empty output of the right shape",
        arguments: AttentionAlgorithm.allCases, [0, 1, 2, 3, 4])
    func emptyAttention(algorithm: AttentionAlgorithm, index: Int) throws {
        for path in KernelPath.supported {
            try KernelPath.withKernels(path) {
                let s = Self.attentionShapes[index]
                let q = Tensor<Float>(shape: s.q, repeating: 1)
                let k = Tensor<Float>(shape: s.k, repeating: 1)
                let v = Tensor<Float>(shape: s.v, repeating: 1)
                for mask: AttentionMask<Float> in [.none, .causal] {
                    let out = try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: mask, algorithm: algorithm
                    )
                    .output
                    #expect(out.shape == s.out)
                    #expect(out.count == 0)
                }
            }
        }
    }

    @Test(
        "attention over no keys (Lk = 0) gives zeros, like a fully masked row", arguments: KernelPath.supported,
        AttentionAlgorithm.allCases)
    func noKeys(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            let q = Tensor<Float>(shape: [1, 2, 3, 8], repeating: 1)
            let kv = Tensor<Float>(shape: [1, 2, 0, 8])
            let out = try scaledDotProductAttention(queries: q, keys: kv, values: kv, algorithm: algorithm).output
            #expect(out.shape == [1, 2, 3, 8])
            #expect(out.scalars.allSatisfy { $0 == 0 })
        }
    }

    @Test(
        "attention with Dk = 0 has all-zero scores, so each query averages the values",
        arguments: KernelPath.supported, AttentionAlgorithm.allCases)
    func noFeatures(path: KernelPath, algorithm: AttentionAlgorithm) throws {
        try KernelPath.withKernels(path) {
            let q = Tensor<Float>(shape: [1, 1, 2, 0])
            let k = Tensor<Float>(shape: [1, 1, 3, 0])
            let v = try Tensor<Float>(shape: [1, 1, 3, 1], scalars: [1, 2, 6])
            let out = try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: algorithm).output
            #expect(out.shape == [1, 1, 2, 1])
            #expect(out.scalars == [3, 3])
        }
    }

    @Test("matmul with M, N or K = 0: empty, or zeros for K = 0")
    func emptyMatmul() throws {
        #expect(try matmul(Tensor<Float>(shape: [0, 3]), Tensor<Float>(shape: [3, 4])).shape == [0, 4])
        #expect(try matmul(Tensor<Float>(shape: [2, 3]), Tensor<Float>(shape: [3, 0])).shape == [2, 0])
        let k0 = try matmul(
            Tensor<Float>(shape: [2, 0], repeating: 1), Tensor<Float>(shape: [0, 4], repeating: 1))
        #expect(k0.shape == [2, 4] && k0.scalars.allSatisfy { $0 == 0 })
        #expect(try matmul(Tensor<Float>(shape: [0, 2, 3]), Tensor<Float>(shape: [3, 4])).shape == [0, 2, 4])
        #expect(
            try einsum("ij,jk->ik", Tensor<Float>(shape: [2, 0]), Tensor<Float>(shape: [0, 3])).scalars
                == Array(repeating: 0, count: 6))
        #expect(
            try einsum("bij,bjk->bik", Tensor<Float>(shape: [0, 2, 3]), Tensor<Float>(shape: [0, 3, 2])).shape == [
                0, 2, 2,
            ])
    }

    @Test("softmax, reductions and LayerNorm over empty tensors")
    func emptyReductions() throws {
        #expect(try Tensor<Float>(shape: [0, 5]).softmax(dim: -1).shape == [0, 5])
        #expect(try Tensor<Float>(shape: [3, 0]).softmax(dim: -1).shape == [3, 0])
        #expect(try Tensor<Float>(shape: [3, 0]).logSoftmax(dim: -1).shape == [3, 0])
        #expect(try Tensor<Float>(shape: [3, 0]).sum(dim: 1).scalars == [0, 0, 0])
        #expect(try Tensor<Float>(shape: [0, 4]).sum(dim: 0).scalars == [0, 0, 0, 0])
        #expect(try Tensor<Float>(shape: [0, 4]).mean(dim: 1).shape == [0])
        #expect(try LayerNorm<Float>(normalizedShape: [4])(Tensor<Float>(shape: [0, 4])).shape == [0, 4])
        #expect(try LayerNorm<Float>(normalizedShape: [4])(Tensor<Float>(shape: [2, 0, 4])).shape == [2, 0, 4])
    }

    @Test(
        "multi-head attention and the encoder layer with B = 0 or L = 0 return empty outputs",
        arguments: KernelPath.supported)
    func emptyLayers(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 1)
            let mha = try MultiHeadAttention<Float>(embedDim: 8, numHeads: 2, using: &generator)
            let layer = try TransformerEncoderLayer<Float>(
                embedDim: 8, numHeads: 2, feedForwardDim: 16, using: &generator)
            for shape in [[0, 5, 8], [2, 0, 8]] {
                let x = Tensor<Float>(shape: shape)
                #expect(try mha(query: x, key: x, value: x).output.shape == shape)
                #expect(try mha(query: x, key: x, value: x, mask: .causal, weights: .averaged).output.shape == shape)
                #expect(try layer(x).shape == shape)
                #expect(
                    try linear(x, weight: Tensor<Float>(shape: [3, 8]), bias: nil).shape == Array(shape.dropLast()) + [
                        3
                    ])
            }
        }
    }
}
