import AttendReference
import AttendVerification
import Foundation
import Testing

@testable import Attend

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

    /// Every op splits its work into items that do not depend on the worker count — batch
    /// entries of a batched GEMM, (batch, head, query block) tiles of the fused kernel, and one
    /// row slab per core (not per `threadCount`) of a single large GEMM — and every item is
    /// computed the same way whichever worker runs it, so results are bitwise independent of the
    /// thread count.
    @Test(
        "results are bitwise equal for 1, 2, 3 and 5 worker threads", arguments: KernelPath.supported,
        AttentionWorkload.Op.allCases)
    func bitwise(path: KernelPath, op: AttentionWorkload.Op) throws {
        try KernelPath.withKernels(path) {
            let workload = try AttentionWorkload(seed: 77)
            let one = try withThreads(1) { bits(try workload.run(op)) }
            for count in [2, 3, 5] {
                #expect(try withThreads(count) { bits(try workload.run(op)) } == one, "threadCount \(count)")
            }
        }
    }

    @Test(
        "a large single GEMM split into row slabs is bitwise equal for every thread count, and within its error bound",
        arguments: KernelPath.supported)
    func gemmSlabsBitwise(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var generator = SeededGenerator(seed: 3)
            let a = Tensor<Float>.randn([301, 257], using: &generator)
            let b = Tensor<Float>.randn([257, 263], using: &generator)
            let c = Tensor<Double>.randn([130, 97], using: &generator)
            let d = Tensor<Double>.randn([97, 111], using: &generator)
            let one = try withThreads(1) { (try matmul(a, b), try matmul(c, d).scalars.map(\.bitPattern)) }
            for count in [2, 3, 4, 7] {
                let many = try withThreads(count) {
                    (bits(try matmul(a, b)), try matmul(c, d).scalars.map(\.bitPattern))
                }
                #expect(many.0 == bits(one.0), "float, threadCount \(count)")
                #expect(many.1 == one.1, "double, threadCount \(count)")
            }
            let exact = try Reference.matmul(a.reference, b.reference)
            let bound = ErrorBounds.float.dotProduct(
                absProduct: try Reference.matmul(a.reference.magnitudes, b.reference.magnitudes).values,
                exact: exact.values, k: 257)
            expectWithinBound(one.0, exact, bound: bound)
        }
    }

    @Test("calls from 64 tasks never run more threads than threadCount", arguments: KernelPath.supported, [1, 2, 3])
    func noOversubscription(path: KernelPath, threads: Int) async throws {
        try await KernelPath.withKernels(path) {
            let workload = try AttentionWorkload(seed: 8)
            let saved = Parallelism.threadCount
            Parallelism.threadCount = threads
            defer { Parallelism.threadCount = saved }
            // Other suites run in parallel in this process: let threads holding slots taken under
            // the previous setting finish (every slot taken from now on is checked against the new
            // limit, atomically) before the peak counts.
            let deadline = ContinuousClock.now + .seconds(30)
            while WorkerBudget.reservedNow > threads, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            WorkerBudget.resetPeaks()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        _ = try workload.run(AttentionWorkload.Op.allCases[index % AttentionWorkload.Op.allCases.count])
                    }
                }
                try await group.waitForAll()
            }
            let active = WorkerBudget.peakActive
            let callers = WorkerBudget.peakCallers
            #expect(callers >= 1)
            #expect(active <= threads, "peak \(active) threads for threadCount \(threads) and \(callers) callers")
        }
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

    @Test(
        "a call leaves the caller's MXCSR (flush-to-zero, denormals-are-zero, rounding) as it was",
        arguments: KernelPath.supported, [false, true])
    func floatingPointEnvironment(path: KernelPath, flushing: Bool) throws {
        try KernelPath.withKernels(path) {
            let workload = try AttentionWorkload(seed: 12)
            let original = mxcsr()
            defer { setMXCSR(original) }
            let before = flushing ? (original | Self.flushBits) : (original & ~Self.flushBits)
            setMXCSR(before)
            for op in AttentionWorkload.Op.allCases {
                _ = try withThreads(1) { try workload.run(op) }  // on this thread
                #expect(mxcsr() == before, "\(op) with 1 thread")
                _ = try withThreads(2) { try workload.run(op) }
                #expect(mxcsr() == before, "\(op) with 2 threads")
            }
            // A subnormal survives arithmetic only without FTZ/DAZ, so the bits really took effect.
            let tiny = Float.leastNonzeroMagnitude
            let kept = opaque(tiny) * opaque(1.5)
            #expect(flushing ? kept == 0 : kept > 0)
        }
    }

    @inline(never) private func opaque(_ value: Float) -> Float { value }
}
