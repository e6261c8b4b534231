import Attend
import AttendReference
import Testing

/// The snippets of `DebuggingShapeErrors.md`, run: seed 003's mistake and its "corrected" version
/// reproduced in Attend, the messages Attend gives, and the fix (checked against the reference).
@Suite("Article: Debugging shape errors")
struct DebuggingShapeErrorsTests {
    /// The text of a failure, or nil on success.
    private func message<T>(_ result: Result<T, any Error>) -> String? {
        if case .failure(let error) = result { return "\(error)" }
        return nil
    }

    @Test("eight full-width heads concatenated give 2048 features for a 256 → 256 output layer")
    func fullWidthHeads() throws {
        // snippet: shapes-full-width-heads
        var generator = SeededGenerator(seed: 3)
        let x = Tensor<Float>.uniform([32, 10, 256], using: &generator)  // [batch, seq_len, embed_size]
        // Each "head" attends over the FULL embedding, as the first answer's SingleHeadSelfAttention(256):
        let oneHead = try scaledDotProductAttention(queries: x, keys: x, values: x)  // full width
            .output  // [32, 10, 256]
        let heads = try Tensor.concatenated(Array(repeating: oneHead, count: 8), dim: -1)  // [32, 10, 2048]
        let fcOut = Linear<Float>(inFeatures: 256, outFeatures: 256, using: &generator)  // W [256, 256]
        let attempt = Result { try fcOut(heads) }  // .failure
        // snippet-end
        #expect(heads.shape == [32, 10, 2048])
        let text = try #require(message(attempt))
        #expect(text.hasPrefix("linear: input [32, 10, 2048] has 2048 features but weight [256, 256] expects 256"))
        #expect(text.contains("2048 = 8 × 256, which usually means attention heads and the full width were mixed up"))
    }

    @Test("PyTorch's 320x2048 is the batch flattened: matmul names both shapes")
    func flattenedMatmul() throws {
        // snippet: shapes-flattened-matmul
        let mat1 = Tensor<Float>.zeros([32 * 10, 2048])  // [320, 2048]: batch and positions merged
        let mat2 = Tensor<Float>.zeros([256, 256])  // [256, 256]
        let attempt = Result { try matmul(mat1, mat2) }  // .failure
        // snippet-end
        let text = try #require(message(attempt))
        #expect(
            text.hasPrefix("matmul: cannot multiply [320, 2048] by [256, 256]: inner dimensions 2048 and 256 differ"))
    }

    @Test("the \"corrected\" version shrinks each head's layer to 32 but still feeds it all 256 features")
    func stillWrong() throws {
        // snippet: shapes-still-wrong
        var generator = SeededGenerator(seed: 4)
        let x = Tensor<Float>.uniform([32, 10, 256], using: &generator)  // [batch, seq_len, embed_size]
        let headDim = 256 / 8  // 32
        // SingleHeadSelfAttention(32).query: nn.Linear(32, 32)
        let query = Linear<Float>(inFeatures: headDim, outFeatures: headDim, using: &generator)
        let attempt = Result { try query(x) }  // .failure: x still has 256 features
        // snippet-end
        let text = try #require(message(attempt))
        #expect(text.hasPrefix("linear: input [32, 10, 256] has 256 features but weight [32, 32] expects 32"))
        #expect(text.contains("256 = 8 × 32"))
        #expect(text.contains("split the projection with view [B, L, numHeads, headDim]"))
    }

    @Test("MultiHeadAttention itself says which width it expected")
    func layerMessage() throws {
        // snippet: shapes-layer-message
        var generator = SeededGenerator(seed: 5)
        let mha = try MultiHeadAttention<Float>(embedDim: 256, numHeads: 8, using: &generator)
        let wide = Tensor<Float>.zeros([32, 10, 2048])  // [B, L, 8 · 256]
        let attempt = Result { try mha(query: wide, key: wide, value: wide) }  // .failure
        // snippet-end
        let text = try #require(message(attempt))
        #expect(text.hasPrefix("MultiHeadAttention: query has shape [32, 10, 2048] but this layer expects [B, L, 256]"))
        #expect(text.contains("2048 = 8 × 256: were heads concatenated at full width?"))
    }

    @Test("the fix: project once to 256, split into 8 heads of 32, merge back to 256")
    func fix() throws {
        // snippet: shapes-fix
        var generator = SeededGenerator(seed: 6)
        let x = Tensor<Float>.uniform([32, 10, 256], using: &generator)  // [B, L, E]
        let mha = try MultiHeadAttention<Float>(embedDim: 256, numHeads: 8, using: &generator)  // d = 32
        let output = try mha(query: x, key: x, value: x).output  // [32, 10, 256]
        // snippet-end
        #expect(output.shape == [32, 10, 256])
        // Batch entries are independent: check the first two against the (slow, naive) reference.
        let firstTwo = try x.narrowed(0, start: 0, length: 2)
        let expected = try Reference.multiHeadAttention(
            query: referenceArray(firstTwo), key: referenceArray(firstTwo), value: referenceArray(firstTwo),
            weights: referenceWeights(mha))
        #expect(maxAbsoluteError(try output.narrowed(0, start: 0, length: 2), expected.output) <= 1e-4)
    }

    @Test("a bad head split and a transposed view fail with the rule, not a wrong answer")
    func otherMistakes() throws {
        // snippet: shapes-other-mistakes
        let q = Tensor<Float>.zeros([2, 10, 256])  // [B, L, E]
        let badSplit = Result { try q.view(2, 10, 3, 85) }  // 3 · 85 = 255 ≠ 256
        let heads = try q.view(2, 10, 8, 32).transposed(1, 2)  // [B, H, L, d]
        let badMerge = Result { try heads.view(2, 10, 256) }  // the heads are not adjacent in memory
        let merged = try heads.transposed(1, 2).reshaped(2, 10, 256)  // [B, L, E]: back, then merge
        // snippet-end
        #expect(
            try #require(message(badSplit)).hasPrefix(
                "view: shape [2, 10, 3, 85] holds 5100 elements but the tensor of shape [2, 10, 256] has 5120"))
        #expect(try #require(message(badMerge)).hasPrefix("view: cannot view a tensor of shape [2, 8, 10, 32]"))
        #expect(merged.shape == [2, 10, 256])
    }
}
