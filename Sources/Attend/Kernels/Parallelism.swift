import CBLAS
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
    /// Read once: Foundation's `activeProcessorCount` reads cgroup files on every call.
    private static let coreCount = ProcessInfo.processInfo.activeProcessorCount

    /// Number of worker threads Attend uses (≥ 1).
    ///
    /// A new value governs every slot taken after it is set, including by calls already waiting
    /// for one; threads that hold slots keep them until their call returns.
    public static var threadCount: Int {
        get {
            let value = WorkerBudget.configuredLimit
            return value > 0 ? value : coreCount
        }
        set {
            precondition(newValue >= 1, "Parallelism.threadCount must be at least 1, got \(newValue)")
            WorkerBudget.configure(limit: newValue)
        }
    }

    /// How many row slabs one large GEMM is split into: the machine's core count, read once, and
    /// not `threadCount`, so that a slab — and every row's summation order inside OpenBLAS —
    /// does not change with the thread-count setting or with how many workers a call gets.
    static var gemmSlabCount: Int { coreCount }

    /// Work below this many floating-point operations runs on the calling thread: waking a
    /// worker costs more than it saves (the toy attention shape (2, 4, 10, 32) is ~100 kflop).
    static let minimumParallelFlops = 2_000_000.0

    /// Runs `body(worker, item)` for every item in `0..<count`, spreading items dynamically
    /// over up to `threadCount` workers (a shared counter, so uneven items — causal blocks —
    /// balance). `setUp(worker)` runs once per worker before its first item (scratch buffers).
    ///
    /// The calling thread is always one of the workers. Every worker, the caller included, takes
    /// a slot from one budget of `threadCount` slots shared by the whole process, so however many
    /// threads or tasks call Attend at once, at most `threadCount` threads run Attend's work (no
    /// oversubscription: a caller that finds every slot busy waits for one, and one that finds
    /// only its own runs its items alone).
    static func forEach<Scratch>(
        items count: Int, flops: Double,
        setUp: (Int) -> Scratch,
        _ body: (inout Scratch, Int) -> Void,
        tearDown: (inout Scratch) -> Void
    ) {
        OpenBLASThreads.useOne()
        let wanted = Swift.min(threadCount, count, flops < minimumParallelFlops ? 1 : Int.max)
        let helpers = WorkerBudget.reserve(wanted - 1, defaultLimit: coreCount)
        defer { WorkerBudget.release(helpers) }
        let workers = 1 + helpers
        if workers <= 1 {
            WorkerBudget.running {
                var scratch = setUp(0)
                for item in 0..<count { body(&scratch, item) }
                tearDown(&scratch)
            }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(setUp) { setUp in
                withoutActuallyEscaping(tearDown) { tearDown in
                    let task = UncheckedSendable((body, setUp, tearDown))
                    let work: @Sendable (Int) -> Void = { worker in
                        let (body, setUp, tearDown) = task.value
                        WorkerBudget.running {
                            var scratch = setUp(worker)
                            while true {
                                let item = next.add(1, ordering: .relaxed).oldValue
                                if item >= count { break }
                                body(&scratch, item)
                            }
                            tearDown(&scratch)
                        }
                    }
                    // The pool's spinning helpers when it is free; Dispatch's when another call
                    // holds it (calls from several threads at once).
                    if !WorkerPool.shared.run(helpers: workers - 1, work) {
                        DispatchQueue.concurrentPerform(iterations: workers, execute: work)
                    }
                }
            }
        }
    }
}

/// The process-wide budget of threads running Attend's work (`Parallelism.threadCount` slots)
/// (with the peak, which the tests read to check that calls from many tasks do not oversubscribe).
enum WorkerBudget {
    /// One word holding the configured limit (high 32 bits; 0 = not set, use the core count) and
    /// the slots taken — callers inside `Parallelism.forEach` plus the helpers they reserved — (low
    /// 32 bits). Every reservation is a compare-exchange of the whole word, so it is checked
    /// against the limit in force at the instant it is made: once the slots taken are within a
    /// new limit, they stay within it.
    private static let state = Atomic<UInt64>(0)
    private static let slotMask: UInt64 = 0xFFFF_FFFF
    /// Threads executing `forEach` work right now, callers inside `forEach` right now, and the
    /// most of each seen at once since `resetPeaks()`.
    private static let active = Atomic<Int>(0)
    private static let callers = Atomic<Int>(0)
    private static let peakActiveCount = Atomic<Int>(0)
    private static let peakCallerCount = Atomic<Int>(0)

    /// The limit set through `Parallelism.threadCount`, or 0 if none was set.
    static var configuredLimit: Int { Int(state.load(ordering: .relaxed) >> 32) }

    static func configure(limit: Int) {
        let high = UInt64(UInt32(clamping: limit)) << 32
        var current = state.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: high | (current & slotMask), ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// Takes a slot for the caller — waiting (yielding its thread) while all slots are busy —
    /// then up to `wanted` more for helpers, without waiting. So callers + helpers never exceed
    /// the limit. `forEach` bodies never call `forEach` again, so a waiting caller holds no slot
    /// and cannot deadlock.
    static func reserve(_ wanted: Int, defaultLimit: Int) -> Int {
        peakCallerCount.max(callers.add(1, ordering: .relaxed).newValue, ordering: .relaxed)
        func limit(_ word: UInt64) -> UInt64 {
            let configured = word >> 32
            return configured > 0 ? configured : UInt64(defaultLimit)
        }
        var current = state.load(ordering: .relaxed)
        while true {
            if current & slotMask >= limit(current) {
                sched_yield()
                current = state.load(ordering: .relaxed)
                continue
            }
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                current += 1
                break
            }
            current = original
        }
        while true {
            let free = limit(current) - Swift.min(limit(current), current & slotMask)
            let take = UInt64(Swift.max(0, Swift.min(wanted, Int(free))))
            if take == 0 { return 0 }
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current + take, ordering: .acquiringAndReleasing)
            if exchanged { return Int(take) }
            current = original
        }
    }

    /// Returns the caller's slot and its `helpers`.
    static func release(_ helpers: Int) {
        state.subtract(UInt64(1 + helpers), ordering: .acquiringAndReleasing)
        callers.subtract(1, ordering: .relaxed)
    }

    /// Runs `work`, counting this thread as active.
    static func running(_ work: () -> Void) {
        peakActiveCount.max(active.add(1, ordering: .relaxed).newValue, ordering: .relaxed)
        work()
        active.subtract(1, ordering: .relaxed)
    }

    /// The most threads that ran `forEach` work at once since the last `resetPeaks()`.
    static var peakActive: Int { peakActiveCount.load(ordering: .relaxed) }
    /// The most callers that were inside `forEach` at once since the last `resetPeaks()`.
    static var peakCallers: Int { peakCallerCount.load(ordering: .relaxed) }

    /// Slots taken right now (callers inside `forEach` plus their helpers).
    static var reservedNow: Int { Int(state.load(ordering: .relaxed) & slotMask) }

    static func resetPeaks() {
        peakActiveCount.store(active.load(ordering: .relaxed), ordering: .relaxed)
        peakCallerCount.store(callers.load(ordering: .relaxed), ordering: .relaxed)
    }
}

/// Carries non-Sendable closures to other threads (the worker pool, `concurrentPerform`): every worker only reads its own
/// scratch and writes disjoint parts of the output, which the callers guarantee.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Puts OpenBLAS in single-threaded mode once (see ``Parallelism``), after the one-time check
/// that it runs the kernels this CPU has (``OpenBLASCoreSelection``).
enum OpenBLASThreads {
    /// A `static let` runs once per process (swift_once), and every later reader sees its effect:
    /// a flag checked and set with relaxed atomics let two first callers both call
    /// `openblas_set_num_threads` while a third, already past the flag, was inside `sgemm`.
    private static let single: Void = openblas_set_num_threads(1)

    static func useOne() {
        OpenBLASCoreSelection.ensureSelected()
        _ = single
    }
}
