import AttendReference
import AttendVerification
import Foundation
import Testing
import _AttendKernels

@testable import Attend

@Suite("Matrix products on block-quantized weights")
struct QuantizedLinearTests {
    /// A GGUF file holding one random `[out, in]` weight of `type`.
    static func weightFile(_ type: GGUFTensorType, out: Int, in inFeatures: Int, seed: UInt64) throws -> GGUFFile {
        var g = SeededGenerator(seed: seed)
        var data: [UInt8] = []
        for _ in 0..<(out * inFeatures / 32) {
            data += GGUFCraft.half(Float(g.nextUnit() * 0.1 + 0.01))
            if type == .q4_1 { data += GGUFCraft.half(Float(g.nextUnit() - 0.5)) }
            let payload = type == .q8_0 ? 32 : 16
            for _ in 0..<payload { data.append(UInt8(truncatingIfNeeded: g.next())) }
        }
        return try GGUFFile(
            data: GGUFCraft.file(
                tensors: [
                    .init(name: "w", type: type.rawValue, dimensions: [UInt64(inFeatures), UInt64(out)], offset: 0)
                ], data: data), name: "w.gguf")
    }

    @Test(
        "layers sharing one input row, run in one pass, equal each layer alone bit for bit (odd row counts, biases, every kernel path)"
    )
    func fusedPassEqualsSeparateCalls() throws {
        // 2 332 rows × 128 ≥ 2¹⁸ weights: enough for the pass to use every worker.
        let inFeatures = 128
        var factory = TensorFactory(seed: 1520)
        let bias: Tensor<Float> = factory.randn([1025])
        let layers = [
            try QuantizedLinear(
                gguf: Self.weightFile(.q4_1, out: 1025, in: inFeatures, seed: 1521), tensor: "w", bias: bias),
            try QuantizedLinear(gguf: Self.weightFile(.q8_0, out: 7, in: inFeatures, seed: 1522), tensor: "w"),
            try QuantizedLinear(gguf: Self.weightFile(.q4_0, out: 1300, in: inFeatures, seed: 1523), tensor: "w"),
        ]
        let x: Tensor<Float> = factory.randn([1, inFeatures])
        for path in KernelPath.supported {
            try KernelPath.withKernels(path) {
                let fused = try QuantizedLinear.apply(layers, to: x)
                for (layer, result) in zip(layers, fused) {
                    #expect(result.shape == [1, layer.outFeatures])
                    #expect(result.scalars == (try layer(x)).scalars, "\(layer.type.name) \(path)")
                }
            }
        }
        #expect(throws: TensorError.self) { try QuantizedLinear.apply(layers, to: factory.randn([1, 127])) }
    }

    @Test(
        "one row (both matrix-vector kernels) and several rows (dequantized panels + sgemm) equal x·Wᵀ on the dequantized weight",
        arguments: [GGUFTensorType.q4_1, .q4_0, .q8_0])
    func matchesDequantized(type: GGUFTensorType) throws {
        let (out, inFeatures) = (300, 96)  // 300 rows: several 64-row chunks and 128-row panels, a ragged last one
        let file = try Self.weightFile(type, out: out, in: inFeatures, seed: 1500 + UInt64(type.rawValue))
        let layer = try QuantizedLinear(gguf: file, tensor: "w")
        let w = try file.tensor(named: "w")
        #expect(layer.dequantized().scalars == w.scalars)
        var factory = TensorFactory(seed: 1510)
        for rows in [1, 3, 9] {
            let x: Tensor<Float> = factory.randn([rows, inFeatures])
            let exact = try Reference.linear(x.reference, weight: w.reference)
            // γ_in·|x|·|W|ᵀ, doubled for the reassociated block sums (d·Σq·x + m·Σx).
            let bound = try Reference.linear(x.reference.magnitudes, weight: w.reference.magnitudes).values
                .map { 2 * Double(inFeatures + 2) * ErrorBounds.float.u * $0 }
            expectWithinBound(try layer(x), exact, bound: bound, "\(type.name) rows \(rows)")
            if rows == 1 {
                let blocks = inFeatures / 32
                let sums = (0..<blocks).map { b in (0..<32).reduce(Float(0)) { $0 + x.scalars[b * 32 + $1] } }
                for path in KernelPath.supported {
                    var y = [Float](repeating: .nan, count: out)
                    layer.blocks.withUnsafeBytes { raw in
                        QuantizedMatVecKernel.select(type, on: path)(
                            raw.baseAddress!.assumingMemoryBound(to: UInt8.self), inFeatures, x.scalars, sums, &y, 0,
                            out)
                    }
                    expectWithinBound(
                        try Tensor(shape: [1, out], scalars: y), exact, bound: bound, "\(type.name) \(path)")
                }
            }
        }
        #expect(throws: TensorError.self) { try layer(factory.randn([2, 95]) as Tensor<Float>) }
    }

    @Test("float tensors are refused, naming the tensor")
    func refusesFloatWeights() throws {
        let file = try GGUFFile(
            data: GGUFCraft.file(
                tensors: [.init(name: "n", type: 0, dimensions: [32, 2], offset: 0)],
                data: [UInt8](repeating: 0, count: 256)), name: "n.gguf")
        #expect(throws: TensorError.self) { try QuantizedLinear(gguf: file, tensor: "n") }
    }
}
