import Attend
import Testing

@Suite("Plans of multi-head attention and the encoder layer")
struct LayerPlanTests {
    @Test("self-attention E64 H4: one fused QKV GEMM, two batched per-head GEMMs, the merge copy and the output GEMM")
    func selfAttention() throws {
        let x = TensorLayout(contiguous: [2, 10, 64])
        let plan = try multiHeadAttentionPlan(
            query: x, key: x, value: x, numHeads: 4, selfAttention: true, scalar: Float.self)
        let calls = plan.gemmCalls.map { [$0.m, $0.n, $0.k, $0.batchCount] }
        #expect(calls == [[20, 192, 64, 1], [10, 10, 16, 8], [10, 16, 10, 8], [20, 64, 64, 1]])
        #expect(plan.copies.map(\.bytes) == [2 * 10 * 64 * 4])  // merging [B, H, L, d] into [B, L, H·d]
        #expect(plan.outputShape == [2, 10, 64])
    }

    @Test("the layer's plan has the GEMMs of the call it describes: separate projections for cross-attention")
    func layerPlanMatchesLayer() throws {
        var g = SeededGenerator(seed: 3)
        let layer = try MultiHeadAttention<Float>(embedDim: 32, numHeads: 2, keyDim: 24, valueDim: 40, using: &g)
        let (q, k, v) = (
            TensorLayout(contiguous: [3, 5, 32]), TensorLayout(contiguous: [3, 7, 24]),
            TensorLayout(contiguous: [3, 7, 40])
        )
        let plan = try layer.plan(query: q, key: k, value: v)
        #expect(
            plan.gemmCalls.map { [$0.m, $0.n, $0.k] } == [
                [15, 32, 32], [21, 32, 24], [21, 32, 40], [5, 7, 16], [5, 16, 7], [15, 32, 32],
            ])
        let x = Tensor<Float>.randn([3, 5, 32], using: &g)
        let kv = Tensor<Float>.randn([3, 7, 24], using: &g)
        let out = try layer(query: x, key: kv, value: Tensor<Float>.randn([3, 7, 40], using: &g)).output
        #expect(out.shape == plan.outputShape)
    }

    @Test("an encoder layer plan is attention plus linear1, linear2 with the feed-forward width; bad sizes throw")
    func encoderLayer() throws {
        let plan = try transformerEncoderLayerPlan(
            input: TensorLayout(contiguous: [1, 16, 64]), numHeads: 4, feedForwardDim: 128, normFirst: true,
            scalar: Float.self)
        #expect(plan.gemmCalls.suffix(2).map { [$0.m, $0.n, $0.k] } == [[16, 128, 64], [16, 64, 128]])
        #expect(plan.gemmCalls.count == 6)
        #expect(throws: TensorError.self) {
            try multiHeadAttentionPlan(
                query: TensorLayout(contiguous: [1, 4, 10]), key: TensorLayout(contiguous: [1, 4, 10]),
                value: TensorLayout(contiguous: [1, 4, 10]), numHeads: 3, scalar: Float.self)
        }
    }
}
