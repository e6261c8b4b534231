import AttendReference
import Testing

@Suite("Layer normalization")
struct LayerNormTests {
    @Test("nn.LayerNorm(4) on the notebook input")
    func notebook() throws {
        let input = layerNormNotebookInput
        expectClose(
            try Reference.layerNorm(input, normalizedDims: 1), shape: [5, 4],
            [
                0.8716, 0.5928, 0.2209, -1.6853,
                -1.6203, 0.4198, 0.1115, 1.0889,
                1.1111, -1.1985, -0.7703, 0.8577,
                -0.7452, -0.1393, -0.7894, 1.6739,
                -0.3243, -0.4803, 1.6947, -0.8900,
            ], tolerance: 1e-3)
    }

    @Test("uses the biased variance: [1, 2, 3, 4] → (x − 2.5)/√1.25")
    func biased() throws {
        // 1/√1.25 = 0.894427191, 1.5/√1.25 = 1.341640786.
        expectClose(
            try Reference.layerNorm(vec([1, 2, 3, 4]), normalizedDims: 1, eps: 0), shape: [4],
            [-1.341640786, -0.447213595, 0.447213595, 1.341640786], tolerance: 1e-9)
    }

    @Test("weight scales and bias shifts each normalized position")
    func affine() throws {
        let y = try Reference.layerNorm(
            vec([1, 2, 3, 4]), normalizedDims: 1, weight: vec([1, 2, 1, 2]), bias: vec([0, 0, 1, 1]), eps: 0)
        expectClose(y, shape: [4], [-1.341640786, -0.894427191, 1.447213595, 3.683281573], tolerance: 1e-9)
    }

    @Test("normalizedDims 2 normalizes over the last two dims together")
    func twoDims() throws {
        let y = try Reference.layerNorm(RA(shape: [1, 2, 2], values: [1, 2, 3, 4]), normalizedDims: 2, eps: 0)
        expectClose(y, shape: [1, 2, 2], [-1.341640786, -0.447213595, 0.447213595, 1.341640786], tolerance: 1e-9)
    }

    @Test("eps is added to the variance")
    func eps() throws {
        // [−1, 1]: mean 0, biased variance 1; with eps 3 the denominator is 2.
        expectClose(try Reference.layerNorm(vec([-1, 1]), normalizedDims: 1, eps: 3), shape: [2], [-0.5, 0.5])
    }

    @Test("weight of the wrong shape throws")
    func errors() {
        let message = errorMessage {
            _ = try Reference.layerNorm(mat([[1, 2, 3]]), normalizedDims: 1, weight: vec([1, 2]))
        }
        #expect(message.hasPrefix("layerNorm:") && message.contains("[2]") && message.contains("[3]"))
        #expect(
            errorMessage { _ = try Reference.layerNorm(mat([[1, 2, 3]]), normalizedDims: 3) }.hasPrefix("layerNorm:"))
    }
}
