import AttendReference
import Testing

@Suite("Convolution, im2col and patchify")
struct ConvolutionTests {
    let signal = vec([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])

    @Test("conv1d of 10…100 with [0.5, 1, 0.5] gives 40…180")
    func seed() throws {
        expectClose(
            try Reference.correlate(signal: signal, kernel: vec([0.5, 1, 0.5])), shape: [8],
            [40, 60, 80, 100, 120, 140, 160, 180])
    }

    @Test("conv1d with stride 2 keeps every other window")
    func stride() throws {
        expectClose(
            try Reference.correlate(signal: signal, kernel: vec([0.5, 1, 0.5]), stride: 2), shape: [4],
            [40, 80, 120, 160])
    }

    @Test("conv1d equals the unfolded windows times the kernel")
    func matchesUnfold() throws {
        let windows = try Reference.unfold(signal, dim: 0, size: 3, step: 1)
        expectClose(
            try Reference.matmul(windows, vec([0.5, 1, 0.5])),
            try Reference.correlate(signal: signal, kernel: vec([0.5, 1, 0.5])))
    }

    @Test("batched conv1d sums over channels, adds the bias and zero-pads")
    func batched() throws {
        // Channel 0 [1, 2, 3, 4] with kernel [1, 1]; channel 1 [10, 20, 30, 40] with kernel [1, −1]; bias 100.
        let input = RA(shape: [1, 2, 4], values: [1, 2, 3, 4, 10, 20, 30, 40])
        let weight = RA(shape: [1, 2, 2], values: [1, 1, 1, -1])
        expectClose(try Reference.conv1d(input, weight: weight, bias: vec([100])), shape: [1, 1, 3], [93, 95, 97])
        expectClose(
            try Reference.conv1d(input, weight: weight, bias: vec([100]), padding: 1), shape: [1, 1, 5],
            [91, 93, 95, 97, 144])
        expectClose(
            try Reference.conv1d(input, weight: weight, bias: vec([100]), stride: 2, padding: 1), shape: [1, 1, 3],
            [91, 95, 144])
    }

    @Test("im2col lays out rows c·kh·kw + i·kw + j and columns y·ow + x")
    func im2col() throws {
        let image = arange([1, 1, 3, 3])  // [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
        expectClose(
            try Reference.im2col(image, kernel: (2, 2)), shape: [1, 4, 4],
            [
                0, 1, 3, 4,
                1, 2, 4, 5,
                3, 4, 6, 7,
                4, 5, 7, 8,
            ])
        // Two channels: channel 1 = channel 0 + 100, rows 4..<8.
        let twoChannels = RA(shape: [1, 2, 3, 3], values: image.values + image.values.map { $0 + 100 })
        let cols = try Reference.im2col(twoChannels, kernel: (2, 2))
        #expect(cols.shape == [1, 8, 4])
        #expect(Array(cols.values[16..<20]) == [100, 101, 103, 104])
        #expect(Array(cols.values[28..<32]) == [104, 105, 107, 108])
    }

    @Test("im2col with padding and stride reads zeros outside the image")
    func im2colPadded() throws {
        let image = arange([1, 1, 3, 3])
        // Windows start at (−1, −1), (−1, 1), (1, −1), (1, 1) in image coordinates.
        expectClose(
            try Reference.im2col(image, kernel: (2, 2), stride: (2, 2), padding: (1, 1)), shape: [1, 4, 4],
            [
                0, 0, 0, 4,
                0, 0, 3, 5,
                0, 1, 0, 7,
                0, 2, 6, 8,
            ])
    }

    @Test("conv2d by hand: a difference kernel and a box kernel")
    func conv2d() throws {
        let image = arange([1, 1, 3, 3])
        // Output channel 0: in[y, x] − in[y + 1, x + 1] = −4; channel 1: the 2×2 box sum.
        let weight = RA(shape: [2, 1, 2, 2], values: [1, 0, 0, -1, 1, 1, 1, 1])
        expectClose(
            try Reference.conv2d(image, weight: weight, bias: vec([1, 0])), shape: [1, 2, 2, 2],
            [
                -3, -3, -3, -3,
                8, 12, 20, 24,
            ])
    }

    @Test("conv2d equals im2col followed by matmul with the weight viewed [O, C·kh·kw]")
    func conv2dMatchesIm2col() throws {
        let input = pseudoRandom([2, 2, 4, 5], seed: 3)
        let weight = pseudoRandom([3, 2, 2, 3], seed: 4)
        let bias = pseudoRandom([3], seed: 5)
        let direct = try Reference.conv2d(input, weight: weight, bias: bias, stride: (1, 2), padding: (1, 1))
        // oh = (4 + 2 − 2)/1 + 1 = 5, ow = (5 + 2 − 3)/2 + 1 = 3.
        #expect(direct.shape == [2, 3, 5, 3])
        let cols = try Reference.im2col(input, kernel: (2, 3), stride: (1, 2), padding: (1, 1))
        let product = try Reference.matmul(Reference.reshaped(weight, [3, 12]), cols)  // [2, 3, 15]
        let withBias = try Reference.add(product, Reference.reshaped(bias, [3, 1]))
        expectClose(direct, try Reference.reshaped(withBias, [2, 3, 5, 3]), tolerance: 1e-14)
    }

    @Test("patchify of a 1×1×4×4 arange image with P = 2")
    func patchify() throws {
        expectClose(
            try Reference.patchify(arange([1, 1, 4, 4]), patch: 2), shape: [1, 4, 4],
            [
                0, 1, 4, 5,
                2, 3, 6, 7,
                8, 9, 12, 13,
                10, 11, 14, 15,
            ])
    }

    @Test("patchify equals im2col with stride P, transposed")
    func patchifyMatchesIm2col() throws {
        let image = pseudoRandom([2, 3, 4, 6], seed: 8)
        let viaIm2col = try Reference.transposed(Reference.im2col(image, kernel: (2, 2), stride: (2, 2)), 1, 2)
        expectClose(try Reference.patchify(image, patch: 2), viaIm2col)
    }

    @Test("patchify throws when H or W is not divisible by P")
    func patchifyError() {
        let message = errorMessage { _ = try Reference.patchify(arange([1, 1, 4, 4]), patch: 3) }
        #expect(message.hasPrefix("patchify:") && message.contains("[1, 1, 4, 4]") && message.contains("divisible"))
    }

    @Test("channel mismatches throw")
    func channelErrors() {
        #expect(
            errorMessage { _ = try Reference.conv2d(arange([1, 2, 3, 3]), weight: arange([1, 1, 2, 2])) }.hasPrefix(
                "conv2d:"))
        #expect(
            errorMessage { _ = try Reference.correlate(signal: vec([1, 2]), kernel: vec([1, 2, 3])) }.hasPrefix(
                "conv1d:"))
    }
}
