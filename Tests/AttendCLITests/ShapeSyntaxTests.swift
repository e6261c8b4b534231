import Testing

@testable import AttendCLI

/// The shape syntax of `attend explain`, tested directly.
@Suite("The CLI's shape syntax")
struct ShapeSyntaxTests {
    @Test("shapes parse as 2x4x10x32 or 2,4,10,32, and ^T / .T give the transposed view of the contiguous tensor")
    func shapeSyntax() throws {
        let plain = try ShapeOperand(parsing: "2x4x10x32")
        #expect(plain.layout.shape == [2, 4, 10, 32] && plain.layout.strides == [1280, 320, 32, 1])
        let commas = try ShapeOperand(parsing: "2,4,10,32")
        #expect(commas.layout == plain.layout)
        for text in ["2x4x10x32^T", "2x4x10x32.T", "2x4x10x32ᵀ"] {
            let transposed = try ShapeOperand(parsing: text)
            #expect(
                transposed.layout.shape == [2, 4, 32, 10] && transposed.layout.strides == [1280, 320, 1, 32], "\(text)")
        }
        for bad in ["", "2x", "2xq", "-1x3", "5^T"] {
            #expect(throws: ShapeSyntaxError.self, "\(bad)") { try ShapeOperand(parsing: bad) }
        }
    }
}
