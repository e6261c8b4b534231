import Foundation
import Testing

@testable import Attend

/// `QuantizedLinear.apply(_:toEachRowOf:)`, the product of several sequences decoded together:
/// every row must carry exactly the bits of its own one-row call, whatever the row count (where
/// ``QuantizedLinear/callAsFunction(_:)`` itself would switch to dequantized panels) and however
/// the 64-row chunks fall on the workers.
@Suite("Block-quantized products row by row")
struct QuantizedLinearEachRowTests {
    /// Byte offsets of the float16 scale (and minimum) fields in one block of `type`.
    static func halfFields(_ type: GGUFTensorType) -> [Int] {
        switch type {
        case .q4_0, .q5_0, .q8_0: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        case .q6_K: [208]
        case .f32, .f16, .bf16: []
        }
    }

    /// A GGUF file holding one `[out, in]` weight of `type`: random payload bytes, the float16
    /// fields small finite values (scales 0.01…0.11, minima −0.5…0.5).
    static func weightFile(_ type: GGUFTensorType, out: Int, in inFeatures: Int, seed: UInt64) throws -> GGUFFile {
        var g = SeededGenerator(seed: seed)
        var data: [UInt8] = []
        for _ in 0..<(out * inFeatures / type.blockSize) {
            var block = (0..<type.blockBytes).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            for (k, offset) in halfFields(type).enumerated() {
                let value = k == 0 ? Float(g.nextUnit() * 0.1 + 0.01) : Float(g.nextUnit() - 0.5)
                block.replaceSubrange(offset..<(offset + 2), with: GGUFCraft.half(value))
            }
            data += block
        }
        return try GGUFFile(
            data: GGUFCraft.file(
                tensors: [
                    .init(name: "w", type: type.rawValue, dimensions: [UInt64(inFeatures), UInt64(out)], offset: 0)
                ], data: data), name: "w.gguf")
    }

    static let blockTypes = GGUFTensorType.allCases.filter(\.isBlockQuantized)

    @Test(
        "each row of the row-by-row pass equals that row's own call bit for bit (R = 1, 2, 3, 7; odd row counts; a bias; every kernel path)",
        arguments: blockTypes)
    func eachRowEqualsItsOwnCall(type: GGUFTensorType) throws {
        // 256 columns: one K-quant super-block, eight 32-element blocks. 1025 × 256 ≥ 2¹⁸ weights,
        // so the pass uses every worker, and 1025 = 16·64 + 1 leaves a one-row last chunk.
        let inFeatures = 256
        var factory = TensorFactory(seed: 2100 + UInt64(type.rawValue))
        let bias: Tensor<Float> = factory.randn([1025])
        let seed = 2200 + 10 * UInt64(type.rawValue)
        let layers = [
            try QuantizedLinear(
                gguf: Self.weightFile(type, out: 1025, in: inFeatures, seed: seed), tensor: "w", bias: bias),
            try QuantizedLinear(gguf: Self.weightFile(type, out: 63, in: inFeatures, seed: seed + 1), tensor: "w"),
            try QuantizedLinear(gguf: Self.weightFile(.q8_0, out: 7, in: inFeatures, seed: seed + 2), tensor: "w"),
        ]
        for path in KernelPath.supported {
            for rows in [1, 2, 3, 7] {
                let x: Tensor<Float> = factory.randn([rows, inFeatures])
                let results = try KernelPath.withKernels(path) { try QuantizedLinear.apply(layers, toEachRowOf: x) }
                for (layer, result) in zip(layers, results) {
                    #expect(result.shape == [rows, layer.outFeatures])
                    let together = result.scalars.map(\.bitPattern)
                    var alone: [UInt32] = []
                    for r in 0..<rows {
                        let row = try x.narrowed(0, start: r, length: 1)  // [1, in]
                        alone += try KernelPath.withKernels(path) { try layer(row) }.scalars.map(\.bitPattern)
                    }
                    let differing = zip(together, alone).filter { $0 != $1 }.count
                    #expect(
                        together == alone,
                        "\(type.name) → \(layer.type.name) [\(layer.outFeatures), \(inFeatures)], R = \(rows), \(path): \(differing) of \(alone.count) outputs differ"
                    )
                }
            }
        }
    }

    @Test("leading dimensions are kept: x [2, 3, in] gives [2, 3, out], row for row the same as x [6, in]")
    func leadingDimensionsAreRows() throws {
        let layer = try QuantizedLinear(gguf: Self.weightFile(.q4_K, out: 65, in: 256, seed: 2300), tensor: "w")
        var factory = TensorFactory(seed: 2301)
        let x: Tensor<Float> = factory.randn([2, 3, 256])
        let shaped = try QuantizedLinear.apply([layer], toEachRowOf: x)[0]
        let flat = try QuantizedLinear.apply([layer], toEachRowOf: x.reshaped([6, 256]))[0]
        #expect(shaped.shape == [2, 3, 65])
        #expect(shaped.scalars.map(\.bitPattern) == flat.scalars.map(\.bitPattern))
        #expect(try QuantizedLinear.apply([layer], toEachRowOf: Tensor<Float>(shape: [0, 256]))[0].shape == [0, 65])
    }

    @Test("no layers, or an input whose width is not every layer's in, is refused naming the op")
    func mismatchesAreRefused() throws {
        let a = try QuantizedLinear(gguf: Self.weightFile(.q4_0, out: 5, in: 64, seed: 2400), tensor: "w")
        let b = try QuantizedLinear(gguf: Self.weightFile(.q4_0, out: 5, in: 96, seed: 2401), tensor: "w")
        var factory = TensorFactory(seed: 2402)
        let x: Tensor<Float> = factory.randn([2, 64])
        #expect(throws: TensorError.self) { try QuantizedLinear.apply([], toEachRowOf: x) }
        #expect(throws: TensorError.self) { try QuantizedLinear.apply([a, b], toEachRowOf: x) }
        #expect(throws: TensorError.self) { try QuantizedLinear.apply([a], toEachRowOf: factory.randn([2, 63])) }
    }
}
