import AttendReference
import Testing

@Suite("Views as copies")
struct ViewTests {
    /// x[i, j, k] = 100i + 10j + k, shape [2, 3, 4]: every element names its own index.
    let x: RA = {
        var a = RA(shape: [2, 3, 4], repeating: 0)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { a[[i, j, k]] = Double(100 * i + 10 * j + k) } } }
        return a
    }()

    @Test("permuted of a matrix with [1, 0] is its transpose")
    func permuteMatrix() throws {
        expectClose(try Reference.permuted(arange([2, 3]), [1, 0]), shape: [3, 2], [0, 3, 1, 4, 2, 5])
    }

    @Test("permuted moves every element: out[k, i, j] = x[i, j, k] for dims [2, 0, 1]")
    func permute3D() throws {
        let p = try Reference.permuted(x, [2, 0, -2])
        #expect(p.shape == [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[[k, i, j]] == Double(100 * i + 10 * j + k)) } } }
    }

    @Test("permuted rejects a list that is not a permutation")
    func permuteErrors() {
        #expect(errorMessage { _ = try Reference.permuted(x, [0, 0, 1]) }.hasPrefix("permuted:"))
        #expect(errorMessage { _ = try Reference.permuted(x, [0, 1]) }.contains("rank 3"))
        #expect(errorMessage { _ = try Reference.permuted(x, [0, 1, 3]) }.contains("out of range"))
    }

    @Test("transposed swaps two dims, negative dims counting from the end")
    func transpose() throws {
        let t = try Reference.transposed(x, 0, -1)
        #expect(t.shape == [4, 3, 2])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(t[[k, j, i]] == Double(100 * i + 10 * j + k)) } } }
    }

    @Test("narrow takes start..<start+length of one dim; negative start counts from the end")
    func narrow() throws {
        let n = try Reference.narrow(x, dim: 1, start: 1, length: 2)
        #expect(n.shape == [2, 2, 4])
        for i in 0..<2 {
            for j in 0..<2 { for k in 0..<4 { #expect(n[[i, j, k]] == Double(100 * i + 10 * (j + 1) + k)) } }
        }
        expectClose(try Reference.narrow(vec([1, 2, 3, 4, 5]), dim: 0, start: -2, length: 2), shape: [2], [4, 5])
        #expect(errorMessage { _ = try Reference.narrow(x, dim: 2, start: 3, length: 2) }.hasPrefix("narrow:"))
    }

    @Test("expanded repeats size-1 dims and adds leading dims; -1 keeps a size")
    func expand() throws {
        let column = mat([[1], [2], [3]])
        let e = try Reference.expanded(column, to: [2, 3, 4])
        #expect(e.shape == [2, 3, 4])
        for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { #expect(e[[a, b, c]] == Double(b + 1)) } } }
        expectClose(try Reference.expanded(column, to: [-1, 2]), shape: [3, 2], [1, 1, 2, 2, 3, 3])
        #expect(errorMessage { _ = try Reference.expanded(vec([1, 2, 3]), to: [4]) }.hasPrefix("expanded:"))
    }

    @Test("unfold of 10, 20, …, 100 with size 3, step 1 gives the 8 windows")
    func unfoldSeed() throws {
        let signal = vec([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        let windows = try Reference.unfold(signal, dim: 0, size: 3, step: 1)
        expectClose(
            windows, shape: [8, 3],
            [
                10, 20, 30, 20, 30, 40, 30, 40, 50, 40, 50, 60,
                50, 60, 70, 60, 70, 80, 70, 80, 90, 80, 90, 100,
            ])
    }

    @Test("unfold with step 2 skips windows and drops the incomplete tail")
    func unfoldStep() throws {
        let signal = vec([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        expectClose(
            try Reference.unfold(signal, dim: 0, size: 3, step: 2), shape: [4, 3],
            [
                10, 20, 30, 30, 40, 50, 50, 60, 70, 70, 80, 90,
            ])
    }

    @Test("unfold along an inner dim replaces it by the window count and appends the window")
    func unfoldInner() throws {
        let u = try Reference.unfold(x, dim: 1, size: 2, step: 1)
        #expect(u.shape == [2, 2, 4, 2])
        for i in 0..<2 {
            for w in 0..<2 {
                for k in 0..<4 {
                    for t in 0..<2 {
                        #expect(u[[i, w, k, t]] == Double(100 * i + 10 * (w + t) + k))
                    }
                }
            }
        }
        #expect(errorMessage { _ = try Reference.unfold(x, dim: 1, size: 4, step: 1) }.hasPrefix("unfold:"))
    }

    @Test("reshaped keeps row-major order and infers one -1")
    func reshape() throws {
        let r = try Reference.reshaped(arange([2, 3]), [3, -1])
        expectClose(r, shape: [3, 2], [0, 1, 2, 3, 4, 5])
        #expect(errorMessage { _ = try Reference.reshaped(arange([2, 3]), [4]) }.hasPrefix("reshaped:"))
    }
}
