import Attend
import AttendReference
import Testing

/// The snippet on the catalog's landing page (`Attend.md`), run and checked against the reference.
@Suite("Article: the Attend landing page")
struct LandingPageTests {
    @Test("the landing page's example: einsum scores and causal attention on [B, H, L, D]")
    func quickLook() throws {
        // snippet: landing-quick-look
        var generator = SeededGenerator(seed: 42)
        let q = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let v = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // [B, H, L, D]
        let scores = try einsum("bhld,bhmd->bhlm", q, k)  // [B, H, L, L]: one batched sgemm
        let out = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal)  // fused
            .output  // [B, H, L, D]
        // snippet-end
        #expect(scores.shape == [2, 4, 10, 10])
        #expect(out.shape == [2, 4, 10, 32])
        let expected = try Reference.scaledDotProductAttention(
            queries: referenceArray(q), keys: referenceArray(k), values: referenceArray(v), mask: .causal)
        #expect(maxAbsoluteError(out, expected.output) <= 1e-5)
        // Query 0 sees only key 0: its output is v's first row.
        #expect(
            try out.selected(0, 1).selected(0, 2).selected(0, 0).scalars
                == v.selected(0, 1).selected(0, 2).selected(0, 0).scalars)
    }
}
