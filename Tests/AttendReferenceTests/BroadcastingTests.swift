import AttendReference
import Testing

@Suite("Broadcasting elementwise ops")
struct BroadcastingTests {
    @Test("broadcastShapes aligns from the right and stretches size-1 dims")
    func shapes() throws {
        #expect(try Reference.broadcastShapes([3, 1, 5], [4, 1]) == [3, 4, 5])
        #expect(try Reference.broadcastShapes([], [2, 3]) == [2, 3])
        #expect(try Reference.broadcastShapes([2, 1], [1, 3]) == [2, 3])
        #expect(try Reference.broadcastShapes([0], [1]) == [0])
    }

    @Test("incompatible shapes throw naming both shapes and the dim")
    func incompatible() {
        let message = errorMessage { _ = try Reference.broadcastShapes([2, 3], [4]) }
        #expect(message.contains("[2, 3]") && message.contains("[4]") && message.contains("dim -1"))
        let addMessage = errorMessage {
            _ = try Reference.add(RA(shape: [2, 3], repeating: 0), RA(shape: [2], repeating: 0))
        }
        #expect(addMessage.hasPrefix("add:"))
    }

    @Test("add broadcasts a column against a row")
    func add() throws {
        let column = mat([[1], [2], [3]])
        let row = vec([10, 20])
        expectClose(try Reference.add(column, row), shape: [3, 2], [11, 21, 12, 22, 13, 23])
    }

    @Test("subtract, multiply and divide broadcast and keep operand order")
    func otherOps() throws {
        expectClose(try Reference.subtract(vec([5, 7]), mat([[1], [2]])), shape: [2, 2], [4, 6, 3, 5])
        expectClose(
            try Reference.multiply(RA(shape: [], values: [2]), mat([[1, 2], [3, 4]])), shape: [2, 2], [2, 4, 6, 8])
        expectClose(try Reference.divide(vec([1, 2]), mat([[2], [4]])), shape: [2, 2], [0.5, 1, 0.25, 0.5])
        let byZero = try Reference.divide(vec([1, 0]), vec([0, 0]))
        #expect(byZero.values[0] == .infinity)
        #expect(byZero.values[1].isNaN)
    }

    @Test("map applies a function to every element")
    func map() {
        expectClose(Reference.map(vec([1, -2, 3])) { $0 * $0 }, shape: [3], [1, 4, 9])
    }

    @Test("maskedFill writes the value where the broadcast mask is 1")
    func maskedFill() throws {
        let x = mat([[1, 2], [3, 4]])
        let mask = RA(shape: [1, 2], values: [0, 1])
        expectClose(try Reference.maskedFill(x, mask: mask, value: -9), shape: [2, 2], [1, -9, 3, -9])
        let full = mat([[1, 0], [0, 1]])
        expectClose(try Reference.maskedFill(x, mask: full, value: 0), shape: [2, 2], [0, 2, 3, 0])
    }

    @Test("maskedFill throws when the mask does not broadcast to x")
    func maskedFillShape() {
        let message = errorMessage {
            _ = try Reference.maskedFill(RA(shape: [2, 2], repeating: 0), mask: RA(shape: [3], repeating: 1), value: 0)
        }
        #expect(message.hasPrefix("maskedFill:") && message.contains("[3]") && message.contains("[2, 2]"))
    }
}
