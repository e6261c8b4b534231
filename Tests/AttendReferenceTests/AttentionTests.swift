import AttendReference
import Foundation
import Testing

@Suite("Scaled dot-product attention")
struct AttentionTests {
    @Test("2×2 case by hand: identity queries and keys, default scale 1/√2")
    func handComputed() throws {
        let q = mat([[1, 0], [0, 1]])
        let v = mat([[1, 2], [3, 4]])
        let (output, weights) = try Reference.scaledDotProductAttention(queries: q, keys: q, values: v)
        // Scores are I/√2, so each row puts e^(1/√2)/(e^(1/√2) + 1) ≈ 0.66976 on its own key.
        let big = exp(1 / 2.0.squareRoot()) / (exp(1 / 2.0.squareRoot()) + 1)
        let small = 1 - big
        expectClose(weights, shape: [2, 2], [big, small, small, big], tolerance: 1e-15)
        expectClose(
            output, shape: [2, 2],
            [big * 1 + small * 3, big * 2 + small * 4, small * 1 + big * 3, small * 2 + big * 4], tolerance: 1e-14)
        #expect(abs(weights.values[0] - 0.66976) < 1e-5)
    }

    @Test("an explicit scale replaces 1/√Dk")
    func explicitScale() throws {
        let (_, weights) = try Reference.scaledDotProductAttention(
            queries: mat([[1, 0]]), keys: mat([[1, 0], [0, 1]]), values: mat([[1], [2]]), scale: 1)
        expectClose(weights, shape: [1, 2], [exp(1.0) / (exp(1.0) + 1), 1 / (exp(1.0) + 1)], tolerance: 1e-15)
    }

    @Test("causal with Lq < Lk is top-left aligned: query i sees keys 0…i")
    func causalWideScores() throws {
        // All scores 0, so each row is uniform over its allowed keys.
        let (output, weights) = try Reference.scaledDotProductAttention(
            queries: RA(shape: [2, 2], repeating: 0), keys: RA(shape: [3, 2], repeating: 0),
            values: mat([[1], [2], [4]]),
            mask: .causal)
        expectClose(weights, shape: [2, 3], [1, 0, 0, 0.5, 0.5, 0])
        expectClose(output, shape: [2, 1], [1, 1.5])
    }

    @Test("causal with Lq > Lk is top-left aligned: later queries see every key")
    func causalTallScores() throws {
        let (_, weights) = try Reference.scaledDotProductAttention(
            queries: RA(shape: [3, 2], repeating: 0), keys: RA(shape: [2, 2], repeating: 0), values: mat([[1], [2]]),
            mask: .causal)
        expectClose(weights, shape: [3, 2], [1, 0, 0.5, 0.5, 0.5, 0.5])
    }

    @Test("a fully masked row gets zero weights and zero output, not NaN")
    func fullyMasked() throws {
        let q = pseudoRandom([2, 3], seed: 1)
        let k = pseudoRandom([2, 3], seed: 2)
        let v = pseudoRandom([2, 4], seed: 3)
        let allow = mat([[0, 0], [1, 1]])
        let (output, weights) = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .mayAttend(allow))
        #expect(Array(weights.values[0..<2]) == [0, 0])
        #expect(Array(output.values[0..<4]) == [0, 0, 0, 0])
        #expect(abs(weights.values[2] + weights.values[3] - 1) < 1e-15)
        #expect(!output.values.contains { $0.isNaN })

        let additive = mat([[-.infinity, -.infinity], [0, 0]])
        let viaAdditive = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .additive(additive))
        #expect(viaAdditive.weights == weights)
        #expect(viaAdditive.output == output)
    }

    @Test("an additive mask of -inf equals the corresponding mayAttend mask")
    func additiveEqualsAllow() throws {
        let q = pseudoRandom([2, 3, 4], seed: 4)
        let k = pseudoRandom([2, 5, 4], seed: 5)
        let v = pseudoRandom([2, 5, 3], seed: 6)
        let allow = RA(shape: [3, 5], values: [1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0])
        let additive = Reference.map(allow) { $0 == 1 ? 0 : -.infinity }
        let viaAllow = try Reference.scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allow))
        let viaAdditive = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .additive(additive))
        expectClose(viaAdditive.weights, viaAllow.weights)
        expectClose(viaAdditive.output, viaAllow.output)
        // The masked entries have weight exactly 0.
        for n in 0..<viaAllow.weights.count where allow.values[n % 15] == 0 { #expect(viaAllow.weights.values[n] == 0) }
    }

    @Test("a finite additive mask shifts the scores before the softmax")
    func finiteAdditive() throws {
        // Scores are 0; adding [log 3, 0] gives weights [3/4, 1/4].
        let (_, weights) = try Reference.scaledDotProductAttention(
            queries: RA(shape: [1, 2], repeating: 0), keys: RA(shape: [2, 2], repeating: 0), values: mat([[1], [2]]),
            mask: .additive(vec([log(3.0), 0])))
        expectClose(weights, shape: [1, 2], [0.75, 0.25], tolerance: 1e-15)
    }

    @Test("keyPadding [B, Lk] equals the equivalent mayAttend mask, broadcast over heads and queries")
    func keyPaddingEqualsAllow() throws {
        let q = pseudoRandom([2, 2, 3, 4], seed: 7)
        let k = pseudoRandom([2, 2, 4, 4], seed: 8)
        let v = pseudoRandom([2, 2, 4, 2], seed: 9)
        let padding = mat([[0, 0, 1, 1], [0, 0, 0, 1]])
        let allow = RA(shape: [2, 1, 1, 4], values: padding.values.map { 1 - $0 })
        let viaPadding = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .keyPadding(padding))
        let viaAllow = try Reference.scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allow))
        expectClose(viaPadding.weights, viaAllow.weights)
        expectClose(viaPadding.output, viaAllow.output)
    }

    @Test("combined causal and key padding masks keep an entry only if both keep it")
    func combined() throws {
        let q = pseudoRandom([2, 3, 4], seed: 10)
        let k = pseudoRandom([2, 3, 4], seed: 11)
        let v = pseudoRandom([2, 3, 2], seed: 12)
        let padding = mat([[0, 1, 0], [0, 0, 0]])
        // tril(3×3) times (1 − padding) per batch.
        let allow = RA(
            shape: [2, 3, 3],
            values: [
                1, 0, 0, 1, 0, 0, 1, 0, 1,
                1, 0, 0, 1, 1, 0, 1, 1, 1,
            ])
        let viaAll = try Reference.scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .all([.causal, .keyPadding(padding)]))
        let viaAllow = try Reference.scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allow))
        expectClose(viaAll.weights, viaAllow.weights)
        expectClose(viaAll.output, viaAllow.output)
    }

    @Test("dropout factors multiply the weights after the softmax")
    func dropout() throws {
        let q = mat([[1, 0], [0, 1]])
        let v = mat([[1, 2], [3, 4]])
        let plain = try Reference.scaledDotProductAttention(queries: q, keys: q, values: v)
        let factors = mat([[2, 0], [0, 2]])
        let dropped = try Reference.scaledDotProductAttention(queries: q, keys: q, values: v, dropoutFactors: factors)
        let w = plain.weights.values
        expectClose(dropped.weights, shape: [2, 2], [2 * w[0], 0, 0, 2 * w[3]])
        expectClose(dropped.output, shape: [2, 2], [2 * w[0] * 1, 2 * w[0] * 2, 2 * w[3] * 3, 2 * w[3] * 4])
    }

    @Test("batch dims of queries, keys and values broadcast")
    func broadcastBatches() throws {
        let q = pseudoRandom([2, 1, 3, 4], seed: 13)
        let k = pseudoRandom([1, 3, 5, 4], seed: 14)
        let v = pseudoRandom([5, 2], seed: 15)
        let (output, weights) = try Reference.scaledDotProductAttention(queries: q, keys: k, values: v)
        #expect(output.shape == [2, 3, 3, 2])
        #expect(weights.shape == [2, 3, 3, 5])
        // Batch (1, 2) equals the unbatched call on q[1, 0] and k[0, 2].
        let q1 = try Reference.reshaped(Reference.narrow(q, dim: 0, start: 1, length: 1), [3, 4])
        let k2 = try Reference.reshaped(Reference.narrow(k, dim: 1, start: 2, length: 1), [5, 4])
        let single = try Reference.scaledDotProductAttention(queries: q1, keys: k2, values: v)
        let slice = try Reference.narrow(
            Reference.narrow(output, dim: 0, start: 1, length: 1), dim: 1, start: 2, length: 1)
        expectClose(slice, shape: [1, 1, 3, 2], single.output.values)
    }

    @Test("extreme scores stay finite")
    func extreme() throws {
        let q = mat([[100, 0], [0, -100]])
        let k = mat([[100, 0], [-100, 0]])
        let (output, weights) = try Reference.scaledDotProductAttention(queries: q, keys: k, values: mat([[1], [2]]))
        #expect(weights.values.allSatisfy { $0.isFinite })
        #expect(output.values.allSatisfy { $0.isFinite })
        #expect(weights.values[0] == 1)
    }

    @Test("shape errors name the op and the shapes")
    func errors() {
        let message = errorMessage {
            _ = try Reference.scaledDotProductAttention(
                queries: RA(shape: [2, 3], repeating: 0), keys: RA(shape: [2, 4], repeating: 0),
                values: RA(shape: [2, 4], repeating: 0))
        }
        #expect(message.hasPrefix("scaledDotProductAttention:") && message.contains("[2, 3]"))
        let maskMessage = errorMessage {
            _ = try Reference.scaledDotProductAttention(
                queries: RA(shape: [2, 3], repeating: 0), keys: RA(shape: [2, 3], repeating: 0),
                values: RA(shape: [2, 3], repeating: 0),
                mask: .mayAttend(RA(shape: [3, 2], repeating: 1)))
        }
        #expect(maskMessage.contains("mayAttend mask [3, 2]"))
    }
}
