import Testing

@testable import AttendReference

@Suite("ReferenceArray")
struct ReferenceArrayTests {
    @Test("a logical multi-index reads and writes the row-major element")
    func subscriptIsRowMajor() {
        var a = RA(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(a[[0, 0]] == 1)
        #expect(a[[0, 2]] == 3)
        #expect(a[[1, 0]] == 4)
        #expect(a[1, 2] == 6)
        a[[1, 1]] = 50
        #expect(a.values == [1, 2, 3, 4, 50, 6])
        #expect(a.count == 6)
        #expect(a.rank == 2)
        #expect(a.strides == [3, 1])
    }

    @Test("a rank-0 array holds exactly one value")
    func rankZero() {
        let s = RA(shape: [], values: [7])
        #expect(s.count == 1)
        #expect(s.rank == 0)
        #expect(s[[]] == 7)
        #expect(RA(shape: [2, 0], repeating: 1).count == 0)
    }

    @Test("init(repeating:) fills every element")
    func repeating() {
        let a = RA(shape: [2, 2, 2], repeating: 3)
        #expect(a.values == [Double](repeating: 3, count: 8))
    }

    @Test("converted(to:) round-trips Double to Float to Double for representable values")
    func converted() {
        let a = RA(shape: [3], values: [0.5, -2, 1024])
        let f = a.converted(to: Float.self)
        #expect(f.shape == [3])
        #expect(f.values == [0.5, -2, 1024])
        #expect(f.converted(to: Double.self) == a)
        // 0.1 is not representable in Float: the conversion rounds.
        #expect(RA(shape: [1], values: [0.1]).converted(to: Float.self).values == [Float(0.1)])
    }

    @Test("equality compares shape and values")
    func equality() {
        #expect(RA(shape: [2, 2], values: [1, 2, 3, 4]) == mat([[1, 2], [3, 4]]))
        #expect(RA(shape: [4], values: [1, 2, 3, 4]) != mat([[1, 2], [3, 4]]))
    }

    @Test("a value count that does not match the shape stops with a message")
    func countMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = ReferenceArray<Double>(shape: [2, 3], values: [1, 2, 3])
        }
    }

    @Test("ReferenceError's description names the op")
    func errorDescription() {
        #expect(ReferenceError.shapeMismatch(op: "matmul", message: "bad").description == "matmul: bad")
        #expect(ReferenceError.invalidEquation(message: "bad").description == "einsum: bad")
    }
}
