import AttendReference
import Foundation
import Testing

@Suite("Multi-head attention")
struct MultiHeadAttentionTests {
    /// Rows start..<start+count of a [rows, cols] matrix (or of a vector).
    func rows(_ m: RA?, _ start: Int, _ count: Int) throws -> RA? {
        guard let m else { return nil }
        return try Reference.narrow(m, dim: 0, start: start, length: count)
    }

    @Test("one head with identity projections equals scaled dot-product attention")
    func oneHeadIdentity() throws {
        let identity = mat([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        let weights = ReferenceMultiHeadAttentionWeights(
            numHeads: 1, qWeight: identity, kWeight: identity, vWeight: identity, outWeight: identity)
        let query = pseudoRandom([2, 4, 3], seed: 1)
        let key = pseudoRandom([2, 5, 3], seed: 2)
        let value = pseudoRandom([2, 5, 3], seed: 3)
        let mha = try Reference.multiHeadAttention(query: query, key: key, value: value, weights: weights)
        let sdpa = try Reference.scaledDotProductAttention(queries: query, keys: key, values: value)
        expectClose(mha.output, sdpa.output, tolerance: 1e-14)
        expectClose(mha.weights, sdpa.weights, tolerance: 1e-14)

        let causalMHA = try Reference.multiHeadAttention(
            query: query, key: key, value: value, weights: weights, mask: .causal)
        let causalSDPA = try Reference.scaledDotProductAttention(
            queries: query, keys: key, values: value, mask: .causal)
        expectClose(causalMHA.output, causalSDPA.output, tolerance: 1e-14)
    }

    @Test("multi-head output is the concatenation of single heads, then the out projection (dk ≠ dv)")
    func perHeadSplit() throws {
        let (heads, dk, dv, embed, kdim, vdim) = (2, 3, 2, 4, 5, 3)
        let p = ReferenceMultiHeadAttentionWeights(
            numHeads: heads,
            qWeight: pseudoRandom([heads * dk, embed], seed: 10),
            kWeight: pseudoRandom([heads * dk, kdim], seed: 11),
            vWeight: pseudoRandom([heads * dv, vdim], seed: 12),
            qBias: pseudoRandom([heads * dk], seed: 13),
            kBias: pseudoRandom([heads * dk], seed: 14),
            vBias: pseudoRandom([heads * dv], seed: 15),
            outWeight: pseudoRandom([embed, heads * dv], seed: 16),
            outBias: pseudoRandom([embed], seed: 17))
        let query = pseudoRandom([2, 3, embed], seed: 20)
        let key = pseudoRandom([2, 4, kdim], seed: 21)
        let value = pseudoRandom([2, 4, vdim], seed: 22)
        let padding = mat([[0, 0, 0, 1], [0, 1, 0, 0]])
        let mask = ReferenceMask<Double>.all([.causal, .keyPadding(padding)])

        let mha = try Reference.multiHeadAttention(
            query: query, key: key, value: value, weights: p, mask: mask, averageWeights: false)
        #expect(mha.output.shape == [2, 3, embed])
        #expect(mha.weights.shape == [2, heads, 3, 4])

        // Build each head from its own slices of the projection matrices.
        var headOutputs: [RA] = []
        var headWeights: [RA] = []
        for h in 0..<heads {
            let qh = try Reference.linear(query, weight: rows(p.qWeight, h * dk, dk)!, bias: rows(p.qBias, h * dk, dk))
            let kh = try Reference.linear(key, weight: rows(p.kWeight, h * dk, dk)!, bias: rows(p.kBias, h * dk, dk))
            let vh = try Reference.linear(value, weight: rows(p.vWeight, h * dv, dv)!, bias: rows(p.vBias, h * dv, dv))
            let single = try Reference.scaledDotProductAttention(queries: qh, keys: kh, values: vh, mask: mask)
            headOutputs.append(single.output)  // [2, 3, dv]
            headWeights.append(single.weights)  // [2, 3, 4]
        }
        // concat[b, i, h·dv + e] = head_h[b, i, e]
        var concat = RA(shape: [2, 3, heads * dv], repeating: 0)
        for b in 0..<2 {
            for i in 0..<3 {
                for h in 0..<heads {
                    for e in 0..<dv {
                        concat[[b, i, h * dv + e]] = headOutputs[h][[b, i, e]]
                    }
                }
            }
        }
        let expected = try Reference.linear(concat, weight: p.outWeight, bias: p.outBias)
        expectClose(mha.output, expected, tolerance: 1e-14)
        for b in 0..<2 {
            for h in 0..<heads {
                for i in 0..<3 {
                    for j in 0..<4 {
                        #expect(abs(mha.weights[[b, h, i, j]] - headWeights[h][[b, i, j]]) < 1e-15)
                    }
                }
            }
        }

        // Averaged weights are the mean over heads.
        let averaged = try Reference.multiHeadAttention(query: query, key: key, value: value, weights: p, mask: mask)
        #expect(averaged.weights.shape == [2, 3, 4])
        expectClose(averaged.weights, try Reference.mean(mha.weights, dim: 1), tolerance: 1e-15)
    }

    @Test("two heads by hand: each head attends with its own half of the features")
    func twoHeadsByHand() throws {
        // E = 2, H = 2, dk = dv = 1, identity projections: head 0 uses feature 0, head 1 feature 1.
        let identity = mat([[1, 0], [0, 1]])
        let p = ReferenceMultiHeadAttentionWeights(
            numHeads: 2, qWeight: identity, kWeight: identity, vWeight: identity, outWeight: identity)
        // One query [1, 0] against keys [1, 0] and [0, 1] with values [1, 10] and [2, 20].
        let query = RA(shape: [1, 1, 2], values: [1, 0])
        let key = RA(shape: [1, 2, 2], values: [1, 0, 0, 1])
        let value = RA(shape: [1, 2, 2], values: [1, 10, 2, 20])
        let (output, weights) = try Reference.multiHeadAttention(
            query: query, key: key, value: value, weights: p, averageWeights: false)
        // Head 0 scores (scale 1/√1): [1, 0] → [e/(e+1), 1/(e+1)]; head 1 scores [0, 0] → [1/2, 1/2].
        let w0 = exp(1.0) / (exp(1.0) + 1)
        expectClose(weights, shape: [1, 2, 1, 2], [w0, 1 - w0, 0.5, 0.5], tolerance: 1e-15)
        expectClose(output, shape: [1, 1, 2], [w0 * 1 + (1 - w0) * 2, 0.5 * 10 + 0.5 * 20], tolerance: 1e-14)
    }

    @Test("a fully padded batch gives zero attention output (only the out bias remains)")
    func fullyPadded() throws {
        let identity = mat([[1, 0], [0, 1]])
        let p = ReferenceMultiHeadAttentionWeights(
            numHeads: 1, qWeight: identity, kWeight: identity, vWeight: identity, outWeight: identity,
            outBias: vec([5, 6]))
        let x = pseudoRandom([1, 3, 2], seed: 30)
        let (output, weights) = try Reference.multiHeadAttention(
            query: x, key: x, value: x, weights: p, mask: .keyPadding(mat([[1, 1, 1]])))
        #expect(weights.values.allSatisfy { $0 == 0 })
        expectClose(output, shape: [1, 3, 2], [5, 6, 5, 6, 5, 6])
    }

    @Test("mismatched projection shapes throw naming the shapes")
    func errors() {
        let p = ReferenceMultiHeadAttentionWeights(
            numHeads: 2, qWeight: RA(shape: [4, 3], repeating: 0), kWeight: RA(shape: [4, 3], repeating: 0),
            vWeight: RA(shape: [4, 3], repeating: 0), outWeight: RA(shape: [3, 4], repeating: 0))
        let x = RA(shape: [1, 2, 5], repeating: 0)
        let message = errorMessage { _ = try Reference.multiHeadAttention(query: x, key: x, value: x, weights: p) }
        #expect(
            message.hasPrefix("multiHeadAttention:") && message.contains("qWeight [4, 3]")
                && message.contains("[1, 2, 5]"))
    }
}
