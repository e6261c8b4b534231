import AttendReference
import AttendVerification
import Testing

@testable import Attend

/// The planned encoder over packed sequences against the Double reference run on each sequence
/// alone, on every kernel path this CPU runs.
@Suite("Packed encoder")
struct PackedEncoderTests {
    /// A post-norm layer with random biases and LayerNorm parameters (PyTorch's init leaves them 0 and 1).
    static func layer(activation: Activation, seed: UInt64) throws -> TransformerEncoderLayer<Float> {
        var generator = SeededGenerator(seed: seed)
        let plain = try TransformerEncoderLayer<Float>(
            embedDim: 32, numHeads: 4, feedForwardDim: 64, activation: activation, using: &generator)
        var dict = plain.stateDict()
        for name in [
            "self_attn.in_proj_bias", "self_attn.out_proj.bias", "linear1.bias", "linear2.bias", "norm1.bias",
            "norm2.bias",
        ] {
            dict[name] = Tensor<Float>.randn(dict[name]!.shape, using: &generator)
        }
        for name in ["norm1.weight", "norm2.weight"] {
            dict[name] = Tensor<Float>.randn(dict[name]!.shape, using: &generator)
        }
        return try TransformerEncoderLayer(stateDict: dict, numHeads: 4, activation: activation, eps: 1e-5)
    }

    @Test(
        "two layers on packed sequences of 1, 7, 40 and 33 tokens equal each sequence's reference within the propagated bound",
        arguments: KernelPath.supported, [Activation.gelu, .relu])
    func matchesReferencePerSequence(path: KernelPath, activation: Activation) throws {
        try KernelPath.withKernels(path) {
            let layers = try [Self.layer(activation: activation, seed: 1), Self.layer(activation: activation, seed: 2)]
            let encoder = try PackedEncoder(layers)
            let sequences = try PackedSequences(lengths: [1, 7, 40, 33])
            var generator = SeededGenerator(seed: 9)
            let x = Tensor<Float>.randn([sequences.tokenCount, 32], using: &generator)
            let y = try encoder(x, sequences: sequences)
            let bound = ForwardErrorBound(Float.self, rowPasses: .family)
            let kind = activation == .gelu ? ReferenceActivation.gelu : .relu
            for s in 0..<sequences.count {
                let rows = sequences.rows(of: s)
                let values = x.scalars[(rows.lowerBound * 32)..<(rows.upperBound * 32)].map(Double.init)
                var expected = BoundedArray(exact: ReferenceArray(shape: [1, rows.count, 32], values: values))
                for layer in layers {
                    expected = try bound.encoderLayer(
                        expected, weights: layer.referenceWeights(Double.self), activation: kind, normFirst: false,
                        eps: 1e-5)
                }
                let got = try Tensor(
                    shape: [1, rows.count, 32],
                    scalars: Array(y.scalars[(rows.lowerBound * 32)..<(rows.upperBound * 32)]))
                expectWithinBound(got, expected.value, bound: expected.error.values, "\(path), sequence \(s)")
            }
        }
    }

    @Test("a sequence's rows do not depend on the sequences packed with it (within 1e-6 per component)")
    func independentOfNeighbours() throws {
        let encoder = try PackedEncoder([Self.layer(activation: .gelu, seed: 3)])
        var generator = SeededGenerator(seed: 4)
        let alone = Tensor<Float>.randn([21, 32], using: &generator)
        let before = Tensor<Float>.randn([50, 32], using: &generator)
        let packed = try Tensor.concatenated([before, alone], dim: 0)
        let a = try encoder(alone, sequences: PackedSequences(lengths: [21]))
        let b = try encoder(packed, sequences: PackedSequences(lengths: [50, 21]))
        let difference = zip(a.scalars, b.scalars.suffix(21 * 32)).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-6, "largest difference \(difference)")
    }

    @Test("layers the plan does not run, and inputs that do not fit, are refused with the rule")
    func refusals() throws {
        var generator = SeededGenerator(seed: 1)
        let preNorm = try TransformerEncoderLayer<Float>(
            embedDim: 8, numHeads: 2, feedForwardDim: 16, normFirst: true, using: &generator)
        #expect(throws: TensorError.self) { try PackedEncoder([preNorm]) }
        let tanh = try TransformerEncoderLayer<Float>(
            embedDim: 8, numHeads: 2, feedForwardDim: 16, activation: .geluTanh, using: &generator)
        let error = #expect(throws: TensorError.self) { try PackedEncoder([tanh]) }
        #expect(error?.description.contains("layer 0: uses the tanh GELU") == true)
        #expect(throws: TensorError.self) { try PackedEncoder([]) }
        #expect(throws: TensorError.self) { try PackedSequences(lengths: [3, 0]) }
        let encoder = try PackedEncoder([Self.layer(activation: .gelu, seed: 1)])
        let wrong = #expect(throws: TensorError.self) {
            try encoder(Tensor<Float>.zeros([5, 32]), sequences: PackedSequences(lengths: [2, 2]))
        }
        #expect(wrong?.description.contains("must be [T, E] = [4, 32]") == true)
    }
}
