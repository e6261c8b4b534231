import Foundation
import Testing

@testable import Attend

/// The bit patterns of a Float tensor's elements, for bitwise comparison (NaN- and ±0-exact).
func bits(_ tensor: Tensor<Float>) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

/// The ops a server calls from many tasks, on shapes large enough to run on several workers.
struct AttentionWorkload: Sendable {
    let q: Tensor<Float>, k: Tensor<Float>, v: Tensor<Float>  // [B, H, L, D]
    let x: Tensor<Float>  // [B, L, E]
    let mha: MultiHeadAttention<Float>
    let layer: TransformerEncoderLayer<Float>

    init(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        q = .randn([2, 4, 96, 32], using: &generator)  // QKᵀ alone is 9.4 Mflop: parallel
        k = .randn([2, 4, 96, 32], using: &generator)
        v = .randn([2, 4, 96, 32], using: &generator)
        x = .randn([2, 48, 64], using: &generator)
        mha = try MultiHeadAttention(embedDim: 64, numHeads: 4, using: &generator)
        layer = try TransformerEncoderLayer(
            embedDim: 64, numHeads: 4, feedForwardDim: 128, activation: .gelu, using: &generator)
    }

    enum Op: String, CaseIterable, Sendable { case fused, materialized, causal, mha, encoderLayer }

    func run(_ op: Op) throws -> Tensor<Float> {
        switch op {
        case .fused:
            return try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: .fused).output
        case .materialized:
            return try scaledDotProductAttention(queries: q, keys: k, values: v, algorithm: .materialized).output
        case .causal:
            return try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal).output
        case .mha:
            return try mha(query: x, key: x, value: x, mask: .causal).output
        case .encoderLayer:
            return try layer(x)
        }
    }
}

@Suite("Concurrent calls")
struct ConcurrentCallTests {
    @Test(
        "64 concurrent calls from Swift tasks each equal the serial result bitwise",
        arguments: KernelPath.supported, AttentionWorkload.Op.allCases)
    func concurrentEqualsSerial(path: KernelPath, op: AttentionWorkload.Op) async throws {
        try await KernelPath.withKernels(path) {
            let workload = try AttentionWorkload(seed: 11)
            let serial = bits(try workload.run(op))
            let results = try await withThrowingTaskGroup(of: [UInt32].self) { group in
                for _ in 0..<64 { group.addTask { bits(try workload.run(op)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 64)
            for result in results { #expect(result == serial) }
        }
    }

    @Test(
        "the same seed gives bitwise-equal inputs, layers and outputs", arguments: KernelPath.supported,
        AttentionWorkload.Op.allCases)
    func sameSeedSameBits(path: KernelPath, op: AttentionWorkload.Op) throws {
        try KernelPath.withKernels(path) {
            let first = try AttentionWorkload(seed: 2024)
            let second = try AttentionWorkload(seed: 2024)
            #expect(bits(first.q) == bits(second.q))
            #expect(bits(try first.run(op)) == bits(try second.run(op)))
            let other = try AttentionWorkload(seed: 2025)
            #expect(bits(try first.run(op)) != bits(try other.run(op)))
        }
    }

    @Test("dropout with the same seed drops the same weights", arguments: KernelPath.supported)
    func dropoutSeed(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            let workload = try AttentionWorkload(seed: 5)
            func run() throws -> [UInt32] {
                var dropout: AttentionDropout? = AttentionDropout(
                    probability: 0.25, generator: SeededGenerator(seed: 99))
                return bits(
                    try scaledDotProductAttention(
                        queries: workload.q, keys: workload.k, values: workload.v, dropout: &dropout
                    ).output)
            }
            #expect(try run() == run())
        }
    }
}
