import Attend
import AttendModels
import Foundation
import Testing

/// `BertEncoder.attentionWeights(_:layer:)` — what `attend embed --attention-heatmap` draws —
/// against the float64 NumPy reference's weights of the same layer (Tests/Fixtures/models/minilm.json,
/// scripts/minilm_reference.py).
@Suite("MiniLM attention weights of one layer against the NumPy reference", .serialized)
struct BertAttentionWeightsTests {
    @Test("every head of layer 5 matches the reference's softmax(q·kᵀ/√d) within 1e-5; rows sum to 1")
    func layerWeightsMatchReference() throws {
        let fixture = try MiniLMFixture.load().attention
        let embedder = try MiniLMModel.embedder()
        let tokens = embedder.tokenizer.tokenize(fixture.text)
        try #require(tokens.tokens == fixture.tokens)
        let weights = try embedder.encoder.attentionWeights(tokens.ids, layer: fixture.layer)  // [H, L, L]
        let (h, l) = (fixture.weights.count, fixture.tokens.count)
        try #require(weights.shape == [h, l, l])
        let got = weights.scalars
        var worst = 0.0
        for head in 0..<h {
            for i in 0..<l {
                var rowSum = 0.0
                for j in 0..<l {
                    let value = Double(got[(head * l + i) * l + j])
                    worst = max(worst, abs(value - fixture.weights[head][i][j]))
                    rowSum += value
                }
                #expect(abs(rowSum - 1) <= 1e-5, "head \(head) row \(i) sums to \(rowSum)")
            }
        }
        #expect(worst <= 1e-5, "largest |Δw| \(worst)")
        // The picture the docs show: in head 11, "it" (token 8) gives most of its weight to "cat".
        let it = fixture.tokens.firstIndex(of: "it")!
        let cat = fixture.tokens.firstIndex(of: "cat")!
        #expect(got[(11 * l + it) * l + cat] > 0.5)
    }

    @Test("a layer outside 0 ..< 6 is an error naming the range")
    func layerOutOfRange() throws {
        let embedder = try MiniLMModel.embedder()
        let ids = embedder.tokenizer.encode("hello")
        #expect {
            _ = try embedder.encoder.attentionWeights(ids, layer: 6)
        } throws: { error in
            "\(error)".contains("layer 6 does not exist: this encoder has layers 0 ..< 6")
        }
    }
}
