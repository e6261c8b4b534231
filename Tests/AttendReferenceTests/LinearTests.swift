import AttendReference
import Testing

@Suite("linear and feed-forward")
struct LinearTests {
    let weight = mat([[1, 0], [0, 1], [1, 1]])  // [out 3, in 2]

    @Test("y = x·Wᵀ + b on a single row")
    func singleRow() throws {
        expectClose(
            try Reference.linear(mat([[1, 2]]), weight: weight, bias: vec([10, 20, 30])), shape: [1, 3], [11, 22, 33])
    }

    @Test("leading dims are kept and the bias is optional")
    func leadingDims() throws {
        let x = RA(shape: [2, 1, 2], values: [1, 2, -1, 5])
        expectClose(try Reference.linear(x, weight: weight), shape: [2, 1, 3], [1, 2, 3, -1, 5, 4])
        expectClose(try Reference.linear(vec([3, 4]), weight: weight), shape: [3], [3, 4, 7])
    }

    @Test("a feature mismatch names both shapes and the rule")
    func mismatch() {
        let message = errorMessage {
            _ = try Reference.linear(RA(shape: [1, 2048], repeating: 0), weight: RA(shape: [256, 256], repeating: 0))
        }
        #expect(
            message
                == "linear: input [1, 2048] has 2048 features but weight [256, 256] expects 256 (y = x·Wᵀ + b needs x.shape[-1] == weight.shape[1])"
        )
        #expect(
            errorMessage { _ = try Reference.linear(mat([[1, 2]]), weight: weight, bias: vec([1, 2])) }.contains(
                "bias [2]"))
    }

    @Test("feedForward is linear2(act(linear1(x)))")
    func feedForward() throws {
        // h = [x0 − x1, 2·x0, −x0 − x1] = [−1, 2, −3] for x = [1, 2]; relu → [0, 2, 0]; y = 0 + 2 + 0 + 0.5.
        let w1 = mat([[1, -1], [2, 0], [-1, -1]])
        let w2 = mat([[1, 1, 1]])
        let y = try Reference.feedForward(
            mat([[1, 2]]), w1: w1, b1: vec([0, 0, 0]), w2: w2, b2: vec([0.5]), activation: .relu)
        expectClose(y, shape: [1, 1], [2.5])
        // Without activation clipping (gelu of the same hidden values), y = Σ gelu(h) + 0.5.
        let g = try Reference.feedForward(mat([[1, 2]]), w1: w1, b1: nil, w2: w2, b2: vec([0.5]), activation: .gelu)
        let hidden = Reference.gelu(vec([-1, 2, -3]))
        expectClose(g, shape: [1, 1], [hidden.values.reduce(0, +) + 0.5])
    }
}
