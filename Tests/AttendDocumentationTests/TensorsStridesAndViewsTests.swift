import Attend
import Testing

/// The snippets of `TensorsStridesAndViews.md`, run. Expected values are the seed notebooks'
/// printed outputs or worked out by hand (strides of row-major layouts, window sums).
@Suite("Article: Tensors, strides and views")
struct TensorsStridesAndViewsTests {
    @Test("transposing swaps the strides and moves no data")
    func transpose() throws {
        // snippet: views-transpose
        let x = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])  // [2, 3], strides [3, 1]
        let t = x.transposed(0, 1)  // [3, 2], strides [1, 3]
        let shared = t.sharesStorage(with: x)  // true: the same buffer
        let rowMajor = t.isContiguous  // false: rows are not adjacent
        let logical = t.scalars  // [1, 4, 2, 5, 3, 6], a copy in t's order
        // snippet-end
        #expect(x.strides == [3, 1])
        #expect(t.shape == [3, 2])
        #expect(t.strides == [1, 3])
        #expect(shared)
        #expect(!rowMajor)
        #expect(logical == [1, 4, 2, 5, 3, 6])
        #expect(t[2, 1] == 6 && t[0, 1] == 4)
    }

    @Test("Q·Kᵀ on [B, H, L, D] reads K through swapped strides")
    func attentionTranspose() throws {
        // snippet: views-keys-transposed
        var generator = SeededGenerator(seed: 0)
        let k = Tensor<Float>.randn([2, 4, 10, 32], using: &generator)  // strides [1280, 320, 32, 1]
        let kT = k.transposed(-2, -1)  // [B, H, D, L], strides [1280, 320, 1, 32]
        // snippet-end
        #expect(k.strides == [4 * 10 * 32, 10 * 32, 32, 1])
        #expect(kT.shape == [2, 4, 32, 10])
        #expect(kT.strides == [1280, 320, 1, 32])
        #expect(kT.sharesStorage(with: k))
        #expect(kT[1, 2, 5, 7] == k[1, 2, 7, 5])
    }

    @Test("view shares the buffer, fails after a transpose, and reshaped copies only then")
    func viewVersusReshaped() throws {
        // snippet: views-view-reshaped
        let grid = try Tensor<Float>.arange(0, 24).view(4, 6)  // [4, 6], strides [6, 1]
        let flat = try grid.view(24)  // [24]: a view, same buffer
        let turned = grid.transposed(0, 1)  // [6, 4], strides [1, 6]
        let attempt = Result { try turned.view(24) }  // .failure: no strides can merge [6, 4] here
        let copied = try turned.reshaped(24)  // [24]: a copy, because a view was impossible
        let spelledOut = try turned.contiguous().view(24)  // [24]: the same copy, written out
        // snippet-end
        #expect(grid.strides == [6, 1])
        #expect(flat.sharesStorage(with: grid))
        #expect(turned.strides == [1, 6])
        guard case .failure(let error) = attempt else {
            Issue.record("view of a transposed tensor should throw")
            return
        }
        let message = "\(error)"
        #expect(message.hasPrefix("view: cannot view a tensor of shape [6, 4] with strides [1, 6] as [24]"))
        #expect(message.contains("Call .contiguous() first, or use .reshaped(_:)"))
        #expect(!copied.sharesStorage(with: grid))
        // Column-major reading of 0..<24 laid out 4 × 6: 0, 6, 12, 18, 1, 7, …
        let expected: [Float] = (0..<6).flatMap { column in (0..<4).map { row in Float(row * 6 + column) } }
        #expect(copied.scalars == expected)
        #expect(spelledOut.scalars == expected)
        // A view of a contiguous tensor never copies, whatever the grouping.
        #expect(try grid.reshaped(2, 12).sharesStorage(with: grid))
    }

    @Test("contiguous() copies only when the strides are not row-major")
    func contiguous() throws {
        // snippet: views-contiguous
        let m = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])  // [2, 3]
        let same = m.contiguous()  // already row-major: no copy
        let fresh = m.transposed(0, 1).contiguous()  // [3, 2], strides [2, 1]: a new buffer
        // snippet-end
        #expect(same.sharesStorage(with: m))
        #expect(!fresh.sharesStorage(with: m))
        #expect(fresh.strides == [2, 1])
        #expect(fresh.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test("writing through a view copies first: Attend tensors are values")
    func copyOnWrite() throws {
        // snippet: views-copy-on-write
        let original = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])  // [2, 3]
        var row = try original.selected(0, 1)  // [3]: row 1, a view
        row[0] = 99  // row gets its own buffer first
        let untouched = original[1, 0]  // still 4
        // snippet-end
        #expect(row.scalars == [99, 5, 6])
        #expect(untouched == 4)
        #expect(original.scalars == [1, 2, 3, 4, 5, 6])
    }

    @Test("unfold makes overlapping windows; a convolution is their dot product with the kernel")
    func unfold() throws {
        // snippet: views-unfold
        let signal = Tensor<Float>([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])  // [10], strides [1]
        let windows = try signal.unfolded(0, size: 3, step: 1)  // [8, 3], strides [1, 1]: overlapping
        let kernel = Tensor<Float>([0.5, 1.0, 0.5])  // [3]
        let convolved = try einsum("ij,j->i", windows, kernel)  // [8]
        let patches = try signal.unfolded(0, size: 3, step: 3)  // [3, 3], strides [3, 1]: side by side
        // snippet-end
        #expect(windows.shape == [8, 3])
        #expect(windows.strides == [1, 1])
        #expect(windows.sharesStorage(with: signal))
        // seed 000's first 3 windows
        #expect(try windows.sliced(0, 0..<3).scalars == [10, 20, 30, 20, 30, 40, 30, 40, 50])
        #expect(convolved.scalars == [40, 60, 80, 100, 120, 140, 160, 180])  // seed 000's printed result
        #expect(patches.shape == [3, 3])
        #expect(patches.strides == [3, 1])
        #expect(patches.scalars == [10, 20, 30, 40, 50, 60, 70, 80, 90])
        // The windowed einsum is the library's correlate(signal:kernel:).
        #expect(try correlate(signal: signal, kernel: kernel).scalars == convolved.scalars)
    }
}
