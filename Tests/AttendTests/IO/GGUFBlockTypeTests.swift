import AttendVerification
import Foundation
import Testing

@testable import Attend

/// Every GGUF block type against the `gguf` package's dequantizer (an independent implementation
/// of llama.cpp's layouts; `scripts/make_gguf_block_fixtures.py` wrote the fixture), on every
/// kernel path: dequantization bit for bit, the matrix-vector kernels within the dot-product bound.
@Suite("GGUF block types against the gguf package")
struct GGUFBlockTypeTests {
    struct Case: Decodable, CustomTestStringConvertible {
        let type: String
        let bytes: String
        let bits: [UInt32]

        var testDescription: String { type }

        var tensorType: GGUFTensorType { GGUFTensorType.allCases.first { $0.name == type }! }

        var data: [UInt8] {
            var result: [UInt8] = []
            var index = bytes.startIndex
            while index < bytes.endIndex {
                let next = bytes.index(index, offsetBy: 2)
                result.append(UInt8(bytes[index..<next], radix: 16)!)
                index = next
            }
            return result
        }
    }

    static let cases: [Case] = {
        struct File: Decodable { let cases: [Case] }
        let url = IOFixtures.directory.deletingLastPathComponent().appendingPathComponent("gguf/blocks.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            return []
        }
        return file.cases
    }()

    @Test("the fixture covers every type Attend reads except F32 and F16 (tested with the GGUF reader)")
    func coverage() {
        #expect(
            Set(Self.cases.map(\.type)) == Set(GGUFTensorType.allCases.filter { $0 != .f32 && $0 != .f16 }.map(\.name)))
    }

    @Test("dequantization gives the gguf package's values bit for bit", arguments: KernelPath.supported, cases)
    func dequantization(path: KernelPath, fixture: Case) {
        let bytes = fixture.data
        var values = [Float](repeating: .nan, count: fixture.bits.count)
        bytes.withUnsafeBytes { raw in
            GGUFDequantization.dequantize(
                fixture.tensorType, from: raw.baseAddress!, count: values.count, into: &values, on: path)
        }
        let mismatches = values.indices.filter { values[$0].bitPattern != fixture.bits[$0] }
        #expect(
            mismatches.isEmpty,
            "\(path) \(fixture.type): \(mismatches.count) of \(values.count) differ, first at \(mismatches.first ?? 0): \(mismatches.first.map { values[$0] } ?? 0) vs \(mismatches.first.map { Float(bitPattern: fixture.bits[$0]) } ?? 0)"
        )
    }

    @Test(
        "Q5_0, Q5_1 and the K-quants' matrix-vector kernels are within the dot-product bound of the exact product of the gguf values",
        arguments: KernelPath.supported, cases.filter { [.q5_0, .q5_1, .q4_K, .q5_K, .q6_K].contains($0.tensorType) })
    func matrixVector(path: KernelPath, fixture: Case) {
        let type = fixture.tensorType
        // Rows of 256 values: one K-quant super-block, or eight 32-element blocks.
        let cols = 256
        let rows = fixture.bits.count / cols
        let weights = fixture.bits.map { Double(Float(bitPattern: $0)) }
        var generator = SeededGenerator(seed: 17)
        let x = Tensor<Float>.randn([cols], using: &generator).scalars
        let xsum = (0..<(cols / 32)).map { b in x[(b * 32)..<(b * 32 + 32)].reduce(0, +) }
        var y = [Float](repeating: .nan, count: rows)
        let kernel = QuantizedMatVecKernel.select(type, on: path)
        fixture.data.withUnsafeBytes { raw in
            kernel(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), cols, x, xsum, &y, 0, rows)
        }
        let exact = (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + weights[r * cols + $1] * Double(x[$1]) } }
        let magnitude = (0..<rows).map { r in
            (0..<cols).reduce(0.0) { $0 + abs(weights[r * cols + $1] * Double(x[$1])) }
        }
        // These kernels dequantize each block exactly (the values above) and sum the products in
        // Float lanes: the plain dot-product bound. (Q8_0, Q4_0 and Q4_1, which fold the offset
        // through Σx, are checked in QuantizedLinearTests.)
        let bound = ErrorBounds.float.dotProduct(absProduct: magnitude, exact: exact, k: cols)
        for r in 0..<rows {
            #expect(
                abs(Double(y[r]) - exact[r]) <= bound[r],
                "\(path) \(fixture.type) row \(r): \(y[r]) vs \(exact[r]) (bound \(bound[r]))")
        }
    }
}
