import Attend
import Testing

/// The snippets of `EinsumAndOneGEMM.md`, run. Scores are checked against dot products summed
/// here in Double from the operands' elements; GEMM parameters are derived from the shapes.
@Suite("Article: einsum and how Attend lowers it to one sgemm")
struct EinsumAndOneGEMMTests {
    /// Σ_d q[b, h, l, d] · k[b, h, m, d] in Double.
    private func dot(_ q: Tensor<Float>, _ k: Tensor<Float>, _ b: Int, _ h: Int, _ l: Int, _ m: Int) -> Double {
        (0..<q.shape[3]).reduce(0.0) { $0 + Double(q[b, h, l, $1]) * Double(k[b, h, m, $1]) }
    }

    @Test("matmul with a transposed K and einsum \"bhld,bhmd->bhlm\" give the same [B, H, L, L] scores")
    func scores() throws {
        // snippet: einsum-scores
        var generator = SeededGenerator(seed: 42)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let viaMatmul = try matmul(q, k.transposed(-2, -1))  // [B, H, L, D] · [B, H, D, L] → [B, H, L, L]
        let viaEinsum = try einsum("bhld,bhmd->bhlm", q, k)  // [B, H, L, L]: d is summed
        // snippet-end
        #expect(viaMatmul.shape == [2, 4, 10, 10])
        #expect(viaEinsum.shape == [2, 4, 10, 10])
        // Each score is a 32-term dot product: error ≤ γ₃₂·Σ|q||k|, and Σ|q||k| ≤ 32·max|q|·max|k|.
        let u = Double(Float.ulpOfOne) / 2
        let gamma = 32 * u / (1 - 32 * u)
        for (b, h, l, m) in [(0, 0, 0, 0), (1, 3, 9, 2), (0, 2, 5, 7), (1, 1, 4, 4)] {
            let expected = dot(q, k, b, h, l, m)
            let scale = (0..<32).reduce(0.0) { $0 + Swift.abs(Double(q[b, h, l, $1]) * Double(k[b, h, m, $1])) }
            #expect(Swift.abs(Double(viaMatmul[b, h, l, m]) - expected) <= gamma * scale)
            #expect(Swift.abs(Double(viaEinsum[b, h, l, m]) - expected) <= gamma * scale)
        }
    }

    @Test("the einsum plan is one batched sgemm with transB and no copies")
    func plan() throws {
        // snippet: einsum-plan
        var generator = SeededGenerator(seed: 42)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let plan = try einsumPlan("bhld,bhmd->bhlm", q, k)
        let call = plan.gemmCalls[0]  // cblas_sgemm M=10 N=10 K=32 transB=T × 8 (batched)
        let copies = plan.copies  // []: K is read through its strides
        // snippet-end
        #expect(plan.gemmCalls.count == 1)
        #expect(call.routine == "cblas_sgemm")
        #expect((call.m, call.n, call.k) == (10, 10, 32))
        #expect(!call.transA && call.transB)
        #expect(call.batchCount == 2 * 4)
        #expect((call.lda, call.ldb, call.ldc) == (32, 32, 10))
        #expect(copies.isEmpty)
        #expect(plan.outputShape == [2, 4, 10, 10])
    }

    @Test("einsum names dimensions: keys still laid out [B, L, H, D] need no permute")
    func declarative() throws {
        // snippet: einsum-declarative
        var generator = SeededGenerator(seed: 1)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let kByPosition = Tensor<Float>.randn([2, 10, 4, 32], using: &generator)  // [B, L, H, D]
        let scores = try einsum("bhld,bmhd->bhlm", q, kByPosition)  // [B, H, L, L]
        let sameWithMatmul = try matmul(q, kByPosition.permuted(0, 2, 3, 1))  // [B, H, D, L] by hand
        let plan = try einsumPlan("bhld,bmhd->bhlm", q, kByPosition)  // still one sgemm
        // snippet-end
        #expect(scores.shape == [2, 4, 10, 10])
        #expect(sameWithMatmul.shape == [2, 4, 10, 10])
        let u = Double(Float.ulpOfOne) / 2
        let gamma = 32 * u / (1 - 32 * u)
        for (b, h, l, m) in [(0, 0, 0, 0), (1, 3, 9, 2), (0, 2, 5, 7)] {
            let terms = (0..<32).map { Double(q[b, h, l, $0]) * Double(kByPosition[b, m, h, $0]) }
            let expected = terms.reduce(0, +)
            let scale = terms.reduce(0) { $0 + Swift.abs($1) }
            #expect(Swift.abs(Double(scores[b, h, l, m]) - expected) <= gamma * scale)
            #expect(Swift.abs(Double(sameWithMatmul[b, h, l, m]) - expected) <= gamma * scale)
        }
        #expect(plan.gemmCalls.count == 1)
        #expect(plan.gemmCalls[0].batchCount == 8)
        // K's rows for one (b, h) are H·D = 128 elements apart: read in place with ldb = 128.
        #expect(plan.gemmCalls[0].ldb == 4 * 32)
        #expect(plan.copies.isEmpty)
    }

    @Test("implicit output, traces and chained contractions")
    func notation() throws {
        // snippet: einsum-notation
        let m = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])  // [2, 3]
        let square = try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4])  // [2, 2]
        let product = try einsum("ij,jk", square, m)  // [2, 3]: implicit output "ik"
        let trace = try einsum("ii->", square)  // []: 1 + 4
        let columnSums = try einsum("ij->j", m)  // [3]
        let chained = try einsum("ij,jk,kl->il", square, m, m.transposed(0, 1))  // [2, 2]: two GEMMs
        // snippet-end
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [9, 12, 15, 19, 26, 33])  // [[1,2],[3,4]]·[[1,2,3],[4,5,6]]
        #expect(trace.shape == [] && trace.scalars == [5])
        #expect(columnSums.scalars == [5, 7, 9])
        // m·mᵀ = [[14, 32], [32, 77]]; square·that = [[78, 186], [170, 404]].
        #expect(chained.scalars == [78, 186, 170, 404])
        #expect(try einsumPlan("ij,jk,kl->il", square, m, m.transposed(0, 1)).gemmCalls.count == 2)
    }
}
