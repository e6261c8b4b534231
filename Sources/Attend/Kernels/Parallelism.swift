import CBLAS
import Dispatch
import Foundation
import Synchronization

/// Attend's one threading model.
///
/// OpenBLAS 0.3.21 serializes threaded GEMMs issued from several threads behind a global lock,
/// and its idle threads spin after each call, stealing the cores the next op wants. So Attend
/// runs OpenBLAS with **one** thread and parallelizes itself: batched GEMMs split over batch
/// entries (or over row slabs of one large GEMM), fused attention over (batch, head, query
/// block). Each worker calls single-threaded `sgemm` on its own slice.
///
/// `threadCount` is the number of workers (default: the number of active cores). Attend sets
/// OpenBLAS to one thread the first time it issues a GEMM; a program that also calls OpenBLAS
/// directly with its own threads should know that.
public enum Parallelism {
    private static let configured = Atomic<Int>(0)
    /// Read once: Foundation's `activeProcessorCount` reads cgroup files on every call.
    private static let coreCount = ProcessInfo.processInfo.activeProcessorCount

    /// Number of worker threads Attend uses (≥ 1).
    public static var threadCount: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : coreCount
        }
        set {
            precondition(newValue >= 1, "Parallelism.threadCount must be at least 1, got \(newValue)")
            configured.store(newValue, ordering: .relaxed)
        }
    }

    /// Work below this many floating-point operations runs on the calling thread: waking a
    /// worker costs more than it saves (the toy attention shape (2, 4, 10, 32) is ~100 kflop).
    static let minimumParallelFlops = 2_000_000.0

    /// Runs `body(worker, item)` for every item in `0..<count`, spreading items dynamically
    /// over up to `threadCount` workers (a shared counter, so uneven items — causal blocks —
    /// balance). `setUp(worker)` runs once per worker before its first item (scratch buffers).
    static func forEach<Scratch>(
        items count: Int, flops: Double,
        setUp: (Int) -> Scratch,
        _ body: (inout Scratch, Int) -> Void,
        tearDown: (inout Scratch) -> Void
    ) {
        OpenBLASThreads.useOne()
        let workers = Swift.min(threadCount, count, flops < minimumParallelFlops ? 1 : Int.max)
        if workers <= 1 {
            var scratch = setUp(0)
            for item in 0..<count { body(&scratch, item) }
            tearDown(&scratch)
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(setUp) { setUp in
                withoutActuallyEscaping(tearDown) { tearDown in
                    let task = UncheckedSendable((body, setUp, tearDown))
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        let (body, setUp, tearDown) = task.value
                        var scratch = setUp(worker)
                        while true {
                            let item = next.add(1, ordering: .relaxed).oldValue
                            if item >= count { break }
                            body(&scratch, item)
                        }
                        tearDown(&scratch)
                    }
                }
            }
        }
    }
}

/// Carries non-Sendable closures into `concurrentPerform`: every worker only reads its own
/// scratch and writes disjoint parts of the output, which the callers guarantee.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Puts OpenBLAS in single-threaded mode once (see ``Parallelism``), after the one-time check
/// that it runs the kernels this CPU has (``OpenBLASCoreSelection``).
enum OpenBLASThreads {
    private static let done = Atomic<Bool>(false)

    static func useOne() {
        OpenBLASCoreSelection.ensureSelected()
        if !done.load(ordering: .relaxed) {
            openblas_set_num_threads(1)
            done.store(true, ordering: .relaxed)
        }
    }
}
