import Attend
import AttendReference
import Testing

/// The snippets of `AttentionFromOneHeadToMany.md`, run. Weights under uniform scores are worked
/// out by hand (1/number of visible keys); outputs are checked against AttendReference in Double;
/// the √d_k statistics against their theoretical values.
@Suite("Article: Attention from one head to many")
struct AttentionFromOneHeadToManyTests {
    @Test("dot products of d_k unit-variance features spread like √d_k; dividing by √d_k restores 1")
    func whyScale() throws {
        // snippet: attention-why-scale
        var generator = SeededGenerator(seed: 7)
        let q = Tensor<Float>.randn([256, 64], using: &generator)  // [Lq, d_k], entries ~ N(0, 1)
        let k = Tensor<Float>.randn([256, 64], using: &generator)  // [Lk, d_k]
        let raw = try matmul(q, k.transposed(0, 1))  // [Lq, Lk]: sums of 64 products
        let scaled = raw / Float(64).squareRoot()  // [Lq, Lk]
        let rawSpread = try raw.standardDeviation().scalars[0]  // ≈ 8 = √64
        let scaledSpread = try scaled.standardDeviation().scalars[0]  // ≈ 1
        let rawPeak = try raw.softmax().max(dims: [1]).mean().scalars[0]  // mean of the rows' top weight
        let scaledPeak = try scaled.softmax().max(dims: [1]).mean().scalars[0]  // much smaller
        // snippet-end
        // Var(Σ_{d<64} q_d k_d) = 64 for independent N(0, 1) entries; 65 536 samples put the
        // estimate within a few percent.
        #expect(Swift.abs(rawSpread - 8) < 0.3)
        #expect(Swift.abs(scaledSpread - 1) < 0.04)
        // Unscaled rows are nearly one-hot; scaled ones share the attention.
        #expect(rawPeak > 0.6)
        #expect(scaledPeak < 0.1)
    }

    @Test("one head: softmax(QKᵀ/√d_k)·V on projected tokens matches the reference")
    func oneHead() throws {
        // snippet: attention-one-head
        var generator = SeededGenerator(seed: 3)
        let x = Tensor<Float>.randn([1, 6, 16], using: &generator)  // [B, L, E]: six token embeddings
        let toQuery = Linear<Float>(inFeatures: 16, outFeatures: 8, using: &generator)  // W_Q: E → d_k
        let toKey = Linear<Float>(inFeatures: 16, outFeatures: 8, using: &generator)  // W_K: E → d_k
        let toValue = Linear<Float>(inFeatures: 16, outFeatures: 8, using: &generator)  // W_V: E → d_v
        let q = try toQuery(x)  // [1, 6, 8]
        let k = try toKey(x)  // [1, 6, 8]
        let v = try toValue(x)  // [1, 6, 8]
        let head = try scaledDotProductAttention(queries: q, keys: k, values: v, returnWeights: true)
        let output = head.output  // [1, 6, 8]: one vector per token
        let weights = head.weights!  // [1, 6, 6]: each row sums to 1
        // snippet-end
        #expect(output.shape == [1, 6, 8])
        #expect(weights.shape == [1, 6, 6])
        #expect(try weights.sum(dim: -1).scalars.allSatisfy { Swift.abs($0 - 1) <= 1e-6 })
        let expected = try Reference.scaledDotProductAttention(
            queries: referenceArray(q), keys: referenceArray(k), values: referenceArray(v))
        #expect(maxAbsoluteError(output, expected.output) <= 1e-5)
        #expect(maxAbsoluteError(weights, expected.weights) <= 1e-6)
    }

    @Test("causal: with equal scores, query i spreads 1/(i + 1) over keys 0…i")
    func causal() throws {
        // snippet: attention-causal
        var generator = SeededGenerator(seed: 5)
        let q = Tensor<Float>.zeros([1, 4, 8])  // [B, Lq, d_k]: every score 0, only the mask matters
        let k = Tensor<Float>.zeros([1, 4, 8])  // [B, Lk, d_k]
        let v = Tensor<Float>.randn([1, 4, 8], using: &generator)  // [B, Lk, d_v]
        let result = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .causal, returnWeights: true)
        let weights = result.weights!  // [1, 4, 4]: lower triangle
        // snippet-end
        let third = 1.0 / 3
        let lowerTriangle: [Double] = [1, 0, 0, 0, 0.5, 0.5, 0, 0, third, third, third, 0, 0.25, 0.25, 0.25, 0.25]
        #expect(isClose(weights, lowerTriangle))
        // Output row i is the mean of the first i + 1 value rows.
        let values = v.scalars.map(Double.init)
        for i in 0..<4 {
            let mean = (0..<8).map { e in (0...i).reduce(0.0) { $0 + values[$1 * 8 + e] } / Double(i + 1) }
            #expect(isClose(try result.output.selected(0, 0).selected(0, i), mean, tolerance: 1e-6))
        }
    }

    @Test("causal is top-left aligned; a bottom-right mask (queries at the end) is a mayAttend mask")
    func alignments() throws {
        // snippet: attention-causal-alignments
        let (lq, lk) = (2, 4)  // two new queries, four keys (two cached)
        let q = Tensor<Float>.zeros([lq, 8])  // [Lq, d_k]
        let k = Tensor<Float>.zeros([lk, 8])  // [Lk, d_k]
        let v = Tensor<Float>.zeros([lk, 8])  // [Lk, d_v]
        let topLeft = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .causal, returnWeights: true)
        // query i sits at position i + (Lk − Lq): it may see keys 0 … i + Lk − Lq
        let visible = (0..<lq * lk).map { $0 % lk <= $0 / lk + (lk - lq) }  // key j ≤ query i + 2
        let lastRows = try BoolTensor(shape: [lq, lk], elements: visible)  // [Lq, Lk]
        let bottomRight = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .mayAttend(lastRows), returnWeights: true)
        // topLeft.weights:     [[1, 0, 0, 0], [1/2, 1/2, 0, 0]]
        // bottomRight.weights: [[1/3, 1/3, 1/3, 0], [1/4, 1/4, 1/4, 1/4]]
        // snippet-end
        #expect(isClose(topLeft.weights!, [1, 0, 0, 0, 0.5, 0.5, 0, 0]))
        let third = 1.0 / 3
        let shifted: [Double] = [third, third, third, 0, 0.25, 0.25, 0.25, 0.25]
        #expect(isClose(bottomRight.weights!, shifted))
    }

    @Test("key padding: padded keys get weight 0 in their batch entry only")
    func padding() throws {
        // snippet: attention-padding
        let q = Tensor<Float>.zeros([2, 3, 8])  // [B, Lq, d_k]
        let k = Tensor<Float>.zeros([2, 4, 8])  // [B, Lk, d_k]
        let v = Tensor<Float>.zeros([2, 4, 8])  // [B, Lk, d_v]
        let ignore = [
            false, false, false, false,  // sentence 0: four real tokens
            false, false, true, true,
        ]  // sentence 1: two tokens, two pads
        let padding = try BoolTensor(shape: [2, 4], elements: ignore)  // [B, Lk]: true = ignore
        let result = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .keyPadding(padding), returnWeights: true)
        // weights [2, 3, 4]: sentence 0 rows [1/4, 1/4, 1/4, 1/4]; sentence 1 rows [1/2, 1/2, 0, 0]
        // snippet-end
        let weights = result.weights!
        #expect(weights.shape == [2, 3, 4])
        #expect(isClose(try weights.selected(0, 0), Array(repeating: 0.25, count: 12)))
        let halves: [Double] = Array(repeating: [0.5, 0.5, 0, 0], count: 3).flatMap { $0 }
        #expect(isClose(try weights.selected(0, 1), halves))
    }

    @Test("PyTorch's three conventions map onto one typed mask; −1e9 is not a mask")
    func conventions() throws {
        // snippet: attention-conventions
        let q = Tensor<Float>.zeros([1, 2, 8])  // [B, Lq, d_k]
        let k = Tensor<Float>.zeros([1, 3, 8])  // [B, Lk, d_k]
        let v = try Tensor<Float>(shape: [1, 3, 1], scalars: [3, 6, 9])  // [B, Lk, 1]
        // nn.MultiheadAttention's bool attn_mask: true = NOT allowed. Invert it for .mayAttend.
        let torchMasked: [Bool] = [
            false, false, true,  // query 0 must not see key 2
            true, true, true,
        ]  // query 1 sees nothing
        let allowed = try BoolTensor(shape: [2, 3], elements: torchMasked.map { !$0 })
        let typed = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .mayAttend(allowed))
        // The same mask as PyTorch's float form: 0 keeps, -inf removes.
        let additive = try Tensor<Float>(shape: [2, 3], scalars: torchMasked.map { $0 ? -.infinity : 0 })
        let sameAgain = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .additive(additive))
        // masked_fill(mask, -1e9) as in the notebooks: finite, so a full row removes nothing.
        let finite = try Tensor<Float>(shape: [2, 3], scalars: torchMasked.map { $0 ? -1e9 : 0 })
        let notAMask = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .additive(finite))
        // typed.output and sameAgain.output: [[4.5], [0]] — query 1 sees no key, so its output is 0
        // notAMask.output:                   [[4.5], [6]] — query 1 averages all three values
        // snippet-end
        #expect(isClose(typed.output, [4.5, 0]))
        #expect(isClose(sameAgain.output, [4.5, 0]))
        #expect(isClose(notAMask.output, [4.5, 6], tolerance: 1e-5))
    }

    @Test("multi-head attention = project once, split into heads, attend, merge, W_O — checked against the reference")
    func heads() throws {
        // snippet: attention-heads
        var generator = SeededGenerator(seed: 11)
        let (b, l, e, h) = (2, 5, 8, 2)  // batch, length, embedDim, heads
        let dk = e / h  // 4 features per head
        let x = Tensor<Float>.randn([b, l, e], using: &generator)  // [B, L, E]
        let mha = try MultiHeadAttention<Float>(embedDim: e, numHeads: h, using: &generator)
        let y = try mha(query: x, key: x, value: x, mask: .causal).output  // [B, L, E]

        // The same computation step by step:
        let q = try linear(x, weight: mha.qWeight, bias: mha.qBias)  // [B, L, H·d_k] = [2, 5, 8]
        let k = try linear(x, weight: mha.kWeight, bias: mha.kBias)  // [B, L, H·d_k]
        let v = try linear(x, weight: mha.vWeight, bias: mha.vBias)  // [B, L, H·d_v]
        let qh = try q.view(b, l, h, dk).transposed(1, 2)  // [B, H, L, d_k]: a view, no copy
        let kh = try k.view(b, l, h, dk).transposed(1, 2)  // [B, H, L, d_k]
        let vh = try v.view(b, l, h, dk).transposed(1, 2)  // [B, H, L, d_v]
        let heads = try scaledDotProductAttention(
            queries: qh, keys: kh, values: vh, mask: .causal
        ).output  // [B, H, L, d_v]
        let merged = try heads.transposed(1, 2).reshaped(b, l, h * dk)  // [B, L, H·d_v]: the concat
        let byHand = try linear(merged, weight: mha.outWeight, bias: mha.outBias)  // [B, L, E]: W_O
        // snippet-end
        #expect(y.shape == [2, 5, 8])
        #expect(qh.sharesStorage(with: q))
        let expected = try Reference.multiHeadAttention(
            query: referenceArray(x), key: referenceArray(x), value: referenceArray(x), weights: referenceWeights(mha),
            mask: .causal)
        #expect(maxAbsoluteError(y, expected.output) <= 1e-5)
        #expect(maxAbsoluteError(byHand, expected.output) <= 1e-5)
    }

    @Test("splitting one projection is the same as one small projection per head (seed 001's claim)")
    func perHeadProjection() throws {
        // snippet: attention-split-equals-per-head
        var generator = SeededGenerator(seed: 12)
        let x = Tensor<Float>.randn([1, 5, 8], using: &generator)  // [B, L, E]
        let wq = Tensor<Float>.randn([8, 8], using: &generator)  // [H·d_k, E]: both heads' W_Q stacked
        let all = try linear(x, weight: wq)  // [1, 5, 8]
        let secondHead = try all.view(1, 5, 2, 4).selected(2, 1)  // [1, 5, 4]: head 1's slice
        let ownWeight = try wq.narrowed(0, start: 4, length: 4)  // [d_k, E]: head 1's W_Q alone
        let separately = try linear(x, weight: ownWeight)  // [1, 5, 4]
        // snippet-end
        #expect(secondHead.shape == [1, 5, 4] && separately.shape == [1, 5, 4])
        // Both are the same 8-term dot products; compare each with a Double sum.
        let xs = x.scalars.map(Double.init)
        let ws = wq.scalars.map(Double.init)
        for token in 0..<5 {
            for d in 0..<4 {
                let exact = (0..<8).reduce(0.0) { $0 + xs[token * 8 + $1] * ws[(4 + d) * 8 + $1] }
                #expect(Swift.abs(Double(secondHead[0, token, d]) - exact) <= 1e-5)
                #expect(Swift.abs(Double(separately[0, token, d]) - exact) <= 1e-5)
            }
        }
    }

    @Test("d_k ≠ d_v: heads of width 3 for scores and 5 for values, W_O maps H·d_v back to E")
    func differentWidths() throws {
        // snippet: attention-dk-dv
        var generator = SeededGenerator(seed: 13)
        let x = Tensor<Float>.randn([2, 5, 8], using: &generator)  // [B, L, E]
        let mha = try MultiHeadAttention<Float>(
            embedDim: 8, numHeads: 2, headDimK: 3, headDimV: 5, using: &generator)
        let shapes = (mha.qWeight.shape, mha.vWeight.shape, mha.outWeight.shape)  // [6, 8] [10, 8] [8, 10]
        let result = try mha(query: x, key: x, value: x, weights: .perHead)
        let y = result.output  // [B, L, E] = [2, 5, 8]
        let perHead = result.weights!  // [B, H, Lq, Lk] = [2, 2, 5, 5]
        // snippet-end
        #expect(shapes.0 == [6, 8] && shapes.1 == [10, 8] && shapes.2 == [8, 10])
        #expect(y.shape == [2, 5, 8])
        #expect(perHead.shape == [2, 2, 5, 5])
        let expected = try Reference.multiHeadAttention(
            query: referenceArray(x), key: referenceArray(x), value: referenceArray(x), weights: referenceWeights(mha),
            averageWeights: false)
        #expect(maxAbsoluteError(y, expected.output) <= 1e-5)
        #expect(maxAbsoluteError(perHead, expected.weights) <= 1e-6)
    }

    @Test("embedDim must split evenly into heads")
    func indivisible() throws {
        // snippet: attention-indivisible
        var generator = SeededGenerator(seed: 14)
        let attempt = Result {
            try MultiHeadAttention<Float>(embedDim: 256, numHeads: 3, using: &generator)
        }
        // .failure: "MultiHeadAttention: embedDim 256 is not divisible by numHeads 3: …"
        // snippet-end
        guard case .failure(let error) = attempt else {
            Issue.record("256 features cannot split into 3 heads")
            return
        }
        #expect("\(error)".hasPrefix("MultiHeadAttention: embedDim 256 is not divisible by numHeads 3"))
    }
}
