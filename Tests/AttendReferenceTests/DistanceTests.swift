import AttendReference
import Testing

@Suite("Pairwise distances")
struct DistanceTests {
    let a = mat([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
    let b = mat([[0.5, 0.5], [2.5, 2.5], [10, 10]])

    @Test("squared distances of the notebook points")
    func notebook() throws {
        expectClose(
            try Reference.squaredDistances(a, b), shape: [5, 3],
            [
                0.5, 12.5, 200,
                0.5, 4.5, 162,
                4.5, 0.5, 128,
                12.5, 0.5, 98,
                24.5, 4.5, 72,
            ])
    }

    @Test("euclidean distances are the square roots")
    func euclidean() throws {
        let d = try Reference.euclideanDistances(mat([[0, 0]]), mat([[3, 4], [0, 0], [1, 0]]))
        expectClose(d, shape: [1, 3], [5, 0, 1])
    }

    @Test("batch dims broadcast")
    func batches() throws {
        let left = RA(shape: [2, 1, 2], values: [0, 0, 1, 1])
        let right = RA(shape: [1, 2, 2], values: [0, 1, 2, 2])
        expectClose(try Reference.squaredDistances(left, right), shape: [2, 1, 2], [1, 8, 1, 2])
    }

    @Test("different feature widths throw")
    func mismatch() {
        #expect(
            errorMessage { _ = try Reference.squaredDistances(a, RA(shape: [2, 3], repeating: 0)) }.hasPrefix(
                "squaredDistances:"))
    }
}
