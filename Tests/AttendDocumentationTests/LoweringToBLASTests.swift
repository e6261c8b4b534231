import Attend
import AttendReference
import Testing

/// The snippets of `LoweringToBLAS.md`, run. GEMM parameters, copy sizes and flop counts are
/// derived from the shapes by hand; outputs are checked against AttendReference.
@Suite("Article: How Attend lowers to BLAS")
struct LoweringToBLASTests {
    @Test("Q·Kᵀ is one batched sgemm with transB: K is read through swapped strides")
    func scoresPlan() throws {
        // snippet: lowering-matmul-plan
        var generator = SeededGenerator(seed: 8)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let plan = try matmulPlan(q, k.transposed(-2, -1))  // what matmul(q, kᵀ) will do
        let call = plan.gemmCalls[0]  // M=10 N=10 K=32, transB, lda=32 ldb=32 ldc=10, × 8
        let flops = call.flops  // 2·M·N·K·batch = 51 200
        // snippet-end
        #expect(plan.gemmCalls.count == 1 && plan.copies.isEmpty)
        #expect((call.m, call.n, call.k, call.batchCount) == (10, 10, 32, 8))
        #expect(!call.transA && call.transB)
        #expect((call.lda, call.ldb, call.ldc) == (32, 32, 10))
        #expect(flops == 51_200)
    }

    @Test("an operand BLAS cannot read (a strided last dimension) is copied, and the plan says how many bytes")
    func copies() throws {
        // snippet: lowering-copy
        var generator = SeededGenerator(seed: 9)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let wide = Tensor<Float>.randn([2, 4, 10, 64], using: &generator)  // [B, H, L, 2·D]
        let everyOther = try wide.sliced(-1, 0..<64, step: 2)  // [B, H, L, D], last stride 2: a view
        let plan = try matmulPlan(q, everyOther.transposed(-2, -1))  // B must be copied first
        let copy = plan.copies[0]  // [2, 4, 32, 10]: 2·4·32·10·4 = 10 240 bytes
        let product = try matmul(q, everyOther.transposed(-2, -1))  // [B, H, L, L], copied or not
        // snippet-end
        #expect(everyOther.strides.last == 2)
        #expect(plan.copies.count == 1)
        #expect(copy.bytes == 2 * 4 * 32 * 10 * 4)
        #expect(plan.gemmCalls.count == 1)
        let expected = try Reference.matmul(
            referenceArray(q), referenceArray(everyOther.transposed(-2, -1).contiguous()))
        #expect(maxAbsoluteError(product, expected) <= 1e-4)
    }

    @Test("materialized SDPA: two batched GEMMs around the in-place mask and softmax")
    func attentionPlan() throws {
        // snippet: lowering-sdpa-plan
        let layout = TensorLayout(contiguous: [2, 8, 512, 64])  // [B, H, L, D]
        let plan = try scaledDotProductAttentionPlan(
            queries: layout, keys: layout, values: layout, mask: AttentionMask<Float>.causal)
        let (scores, mix) = (plan.gemmCalls[0], plan.gemmCalls[1])  // Q·Kᵀ (alpha = 1/√64) and P·V
        let scoresShape = plan.intermediates[0].shape  // [2, 8, 512, 512]: 16 MiB of Float
        // snippet-end
        #expect(plan.gemmCalls.count == 2 && plan.copies.isEmpty)
        #expect((scores.m, scores.n, scores.k, scores.batchCount) == (512, 512, 64, 16))
        #expect(scores.transB && scores.alpha == 0.125)
        #expect((mix.m, mix.n, mix.k, mix.batchCount) == (512, 64, 512, 16))
        #expect(!mix.transA && !mix.transB)
        #expect(scoresShape == [2, 8, 512, 512])
        #expect(scoresShape.reduce(1, *) * 4 == 16 << 20)
        #expect(plan.gemmCalls.reduce(0) { $0 + $1.flops } == 1_073_741_824)
    }

    @Test("the fused kernel and the materialized path give the same attention within their bounds")
    func algorithms() throws {
        // snippet: lowering-algorithms
        var generator = SeededGenerator(seed: 10)
        let q = Tensor<Float>.randn([1, 2, 300, 16], using: &generator)  // [B, H, L, D]: 2 query blocks
        let k = Tensor<Float>.randn([1, 2, 300, 16], using: &generator)
        let v = Tensor<Float>.randn([1, 2, 300, 16], using: &generator)
        let fused = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal)  // O(L)
        let materialized = try scaledDotProductAttention(
            queries: q, keys: k, values: v, mask: .causal, algorithm: .materialized)  // [.., L, L]
        // snippet-end
        #expect(fused.weights == nil)
        let expected = try Reference.scaledDotProductAttention(
            queries: referenceArray(q), keys: referenceArray(k), values: referenceArray(v), mask: .causal)
        #expect(maxAbsoluteError(fused.output, expected.output) <= 1e-5)
        #expect(maxAbsoluteError(materialized.output, expected.output) <= 1e-5)
    }
}
