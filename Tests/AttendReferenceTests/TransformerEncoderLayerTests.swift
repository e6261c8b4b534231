import AttendReference
import Testing

@Suite("Transformer encoder layer")
struct TransformerEncoderLayerTests {
    let embed = 4, hidden = 6, heads = 2

    func weights(zeroSublayers: Bool) -> ReferenceTransformerEncoderLayerWeights<Double> {
        func w(_ shape: [Int], _ seed: UInt64) -> RA {
            zeroSublayers ? RA(shape: shape, repeating: 0) : pseudoRandom(shape, seed: seed)
        }
        let attention = ReferenceMultiHeadAttentionWeights(
            numHeads: heads,
            qWeight: w([embed, embed], 1), kWeight: w([embed, embed], 2), vWeight: w([embed, embed], 3),
            qBias: w([embed], 4), kBias: w([embed], 5), vBias: w([embed], 6),
            outWeight: w([embed, embed], 7), outBias: w([embed], 8))
        return ReferenceTransformerEncoderLayerWeights(
            attention: attention,
            linear1Weight: w([hidden, embed], 9), linear1Bias: w([hidden], 10),
            linear2Weight: w([embed, hidden], 11), linear2Bias: w([embed], 12),
            norm1Weight: pseudoRandom([embed], seed: 13), norm1Bias: pseudoRandom([embed], seed: 14),
            norm2Weight: pseudoRandom([embed], seed: 15), norm2Bias: pseudoRandom([embed], seed: 16))
    }

    @Test("pre-norm with zero attention and feed-forward leaves x unchanged")
    func preNormIdentity() throws {
        let x = pseudoRandom([2, 3, embed], seed: 40)
        let y = try Reference.transformerEncoderLayer(x, weights: weights(zeroSublayers: true), normFirst: true)
        expectClose(y, x, tolerance: 0)
    }

    @Test("post-norm with zero sublayers is norm2(norm1(x)): [1, 2, 3, 4] normalizes to ±1.3416, ±0.4472")
    func postNormOnlyNorms() throws {
        var p = weights(zeroSublayers: true)
        p.norm1Weight = nil
        p.norm1Bias = nil
        p.norm2Weight = nil
        p.norm2Bias = nil
        let y = try Reference.transformerEncoderLayer(RA(shape: [1, 1, 4], values: [1, 2, 3, 4]), weights: p)
        expectClose(y, shape: [1, 1, 4], [-1.341640786, -0.447213595, 0.447213595, 1.341640786], tolerance: 1e-4)
    }

    @Test("post-norm is x = norm1(x + SA(x)); x = norm2(x + FF(x))")
    func postNormWiring() throws {
        let p = weights(zeroSublayers: false)
        let x = pseudoRandom([2, 3, embed], seed: 41)
        let mask = ReferenceMask<Double>.keyPadding(mat([[0, 0, 1], [0, 0, 0]]))
        let sa = try Reference.multiHeadAttention(query: x, key: x, value: x, weights: p.attention, mask: mask).output
        let h = try Reference.layerNorm(
            Reference.add(x, sa), normalizedDims: 1, weight: p.norm1Weight, bias: p.norm1Bias)
        let ff = try Reference.feedForward(
            h, w1: p.linear1Weight, b1: p.linear1Bias, w2: p.linear2Weight, b2: p.linear2Bias, activation: .gelu)
        let expected = try Reference.layerNorm(
            Reference.add(h, ff), normalizedDims: 1, weight: p.norm2Weight, bias: p.norm2Bias)
        let y = try Reference.transformerEncoderLayer(x, weights: p, activation: .gelu, mask: mask)
        expectClose(y, expected, tolerance: 0)
    }

    @Test("pre-norm is x = x + SA(norm1(x)); x = x + FF(norm2(x))")
    func preNormWiring() throws {
        let p = weights(zeroSublayers: false)
        let x = pseudoRandom([2, 3, embed], seed: 42)
        let n1 = try Reference.layerNorm(x, normalizedDims: 1, weight: p.norm1Weight, bias: p.norm1Bias)
        let h = try Reference.add(
            x, Reference.multiHeadAttention(query: n1, key: n1, value: n1, weights: p.attention, mask: .causal).output)
        let n2 = try Reference.layerNorm(h, normalizedDims: 1, weight: p.norm2Weight, bias: p.norm2Bias)
        let expected = try Reference.add(
            h, Reference.feedForward(n2, w1: p.linear1Weight, b1: p.linear1Bias, w2: p.linear2Weight, b2: p.linear2Bias)
        )
        let y = try Reference.transformerEncoderLayer(x, weights: p, normFirst: true, mask: .causal)
        expectClose(y, expected, tolerance: 0)
    }

    @Test("the flat-parameter overload equals the struct form")
    func flatOverload() throws {
        let p = weights(zeroSublayers: false)
        let x = pseudoRandom([1, 3, embed], seed: 43)
        let flat = try Reference.transformerEncoderLayer(
            x, attention: p.attention, linear1W: p.linear1Weight, linear1B: p.linear1Bias, linear2W: p.linear2Weight,
            linear2B: p.linear2Bias, norm1W: p.norm1Weight, norm1B: p.norm1Bias, norm2W: p.norm2Weight,
            norm2B: p.norm2Bias,
            activation: .geluTanh, normFirst: false, eps: 1e-6)
        let viaStruct = try Reference.transformerEncoderLayer(x, weights: p, activation: .geluTanh, eps: 1e-6)
        #expect(flat == viaStruct)
    }
}
