import Foundation
import Testing
@testable import Attend
import AttendReference

#if canImport(Glibc)
import Glibc
#endif

/// Tests that set `Parallelism.threadCount` (process-wide), one at a time. Other suites running
/// meanwhile see a different worker count, which changes nothing they check: that is what the
/// first test proves.
@Suite("Thread count", .serialized)
struct ThreadCountTests {
    /// Runs `body` with `Parallelism.threadCount = count`, then restores the previous setting.
    private func withThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        let saved = Parallelism.threadCount
        Parallelism.threadCount = count
        defer { Parallelism.threadCount = saved }
        return try body()
    }

    /// Attention splits its work into items that do not depend on the worker count — batch
    /// entries of a batched GEMM, and (batch, head, query block) tiles of the fused kernel — and
    /// every item is computed the same way whichever worker runs it, so these results are
    /// bitwise independent of the thread count.
    @Test("attention results are bitwise equal for 1, 2, 3 and 5 worker threads", arguments: [
        AttentionWorkload.Op.fused, .materialized, .causal,
    ])
    func attentionBitwise(op: AttentionWorkload.Op) throws {
        let workload = try AttentionWorkload(seed: 77)
        let one = try withThreads(1) { bits(try workload.run(op)) }
        for count in [2, 3, 5] {
            #expect(try withThreads(count) { bits(try workload.run(op)) } == one, "threadCount \(count)")
        }
    }

    /// A single large GEMM (`matmul` of two matrices, every `linear`) is split into one row slab
    /// per worker; OpenBLAS's kernels sum a row differently depending on the slab's height, so
    /// such results may differ in the last bits between thread counts. Each stays within the
    /// product's forward error bound γ_K·|A|·|B| + u·|C| of the exact value (so two thread counts
    /// differ by at most twice that).
    @Test("a single GEMM split into row slabs stays within its error bound for every thread count")
    func gemmSlabsWithinBound() throws {
        var generator = SeededGenerator(seed: 3)
        let a = Tensor<Float>.randn([301, 257], using: &generator)
        let b = Tensor<Float>.randn([257, 263], using: &generator)
        let exact = try Reference.matmul(a.reference, b.reference)
        let bound = Tolerance.dotProductBound(
            try Reference.matmul(a.reference.magnitudes, b.reference.magnitudes), exact: exact, k: 257, scalar: Float.self)
        for count in [1, 2, 3, 4, 7] {
            expectWithinBound(try withThreads(count) { try matmul(a, b) }, exact, bound: bound, "threadCount \(count)")
        }
    }

    @Test("multi-head attention and the encoder layer stay within their forward error bounds for every thread count")
    func layersWithinBound() throws {
        let workload = try AttentionWorkload(seed: 77)
        let x = BoundedArray(exact: workload.x.reference)
        let float = ForwardErrorBound(Float.self)
        let mha = try float.multiHeadAttention(
            query: x, key: x, value: x, weights: MultiHeadAttentionTests.referenceWeights(workload.mha), mask: .causal).output
        let layer = try float.encoderLayer(
            x, weights: LayerTests.referenceWeights(workload.layer), activation: .gelu, normFirst: false, eps: 1e-5)
        for count in [1, 2, 3, 5] {
            let (m, l) = try withThreads(count) { (try workload.run(.mha), try workload.run(.encoderLayer)) }
            expectWithinBound(m, mha.value, bound: mha.error.values, "MHA, threadCount \(count)")
            expectWithinBound(l, layer.value, bound: layer.error.values, "encoder layer, threadCount \(count)")
        }
    }

    @Test("calls from 64 tasks never run more threads than max(threadCount, concurrent callers)", arguments: [1, 2, 3])
    func noOversubscription(threads: Int) async throws {
        let workload = try AttentionWorkload(seed: 8)
        let saved = Parallelism.threadCount
        Parallelism.threadCount = threads
        defer { Parallelism.threadCount = saved }
        WorkerBudget.resetPeaks()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask { _ = try workload.run(AttentionWorkload.Op.allCases[index % AttentionWorkload.Op.allCases.count]) }
            }
            try await group.waitForAll()
        }
        let active = WorkerBudget.peakActive, callers = WorkerBudget.peakCallers
        #expect(callers >= 1)
        #expect(active <= max(threads, callers), "peak \(active) threads for threadCount \(threads) and \(callers) callers")
    }

    // MARK: Floating-point environment

    /// MXCSR bits: DAZ (denormals are zero) 0x0040, FTZ (flush to zero) 0x8000.
    private static let flushBits: UInt32 = 0x8040

    private func mxcsr() -> UInt32 {
        var environment = fenv_t()
        fegetenv(&environment)
        return environment.__mxcsr
    }

    private func setMXCSR(_ value: UInt32) {
        var environment = fenv_t()
        fegetenv(&environment)
        environment.__mxcsr = value
        fesetenv(&environment)
    }

    @Test("a call leaves the caller's MXCSR (flush-to-zero, denormals-are-zero, rounding) as it was", arguments: [false, true])
    func floatingPointEnvironment(flushing: Bool) throws {
        let workload = try AttentionWorkload(seed: 12)
        let original = mxcsr()
        defer { setMXCSR(original) }
        let before = flushing ? (original | Self.flushBits) : (original & ~Self.flushBits)
        setMXCSR(before)
        for op in AttentionWorkload.Op.allCases {
            _ = try withThreads(1) { try workload.run(op) }      // on this thread
            #expect(mxcsr() == before, "\(op) with 1 thread")
            _ = try withThreads(2) { try workload.run(op) }
            #expect(mxcsr() == before, "\(op) with 2 threads")
        }
        // A subnormal survives arithmetic only without FTZ/DAZ, so the bits really took effect.
        let tiny = Float.leastNonzeroMagnitude
        let kept = opaque(tiny) * opaque(1.5)
        #expect(flushing ? kept == 0 : kept > 0)
    }

    @inline(never) private func opaque(_ value: Float) -> Float { value }
}
